//! Named settings that recreate the paper's figures and the critics' experiments. The CLI's
//! `--preset NAME` and the page's preset menu read this one list; each is a query string in the
//! same keys as the URL, so a preset is just a shareable link.

use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub title: &'static str,
    /// One or two sentences: what to look at.
    pub description: &'static str,
    /// Settings that differ from the defaults, as a URL query string.
    pub query: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "fig2",
        title: "Paper fig. 2: one layer = one GD step",
        description: "d = N = 10, one linear-attention layer. Within a few hundred steps its loss meets \
                      gradient descent's at the best step size η*, and its weights become the construction.",
        query: "",
    },
    Preset {
        name: "gdpp",
        title: "Paper fig. 3: two recurrent layers vs GD++",
        description: "Two applications of one layer end clearly below two steps of plain GD, near GD++, \
                      which also preconditions the inputs.",
        query: "layers=2",
    },
    Preset {
        name: "deep3",
        title: "Three recurrent layers",
        description: "Three layers vs three GD steps and GD++ (clipping 10, as the reference code does for K > 2).",
        query: "layers=3",
    },
    Preset {
        name: "softmax1",
        title: "Softmax attention, 1 head",
        description: "Real transformers normalise attention with softmax. Its weights are positive and \
                      sum to 1, so one head can only approximate a GD step: the numbers show how close it \
                      gets. The paper reports long, seed-dependent plateaus for one head. This seed leaves \
                      its plateau within the first 1500 steps; with seed 1 the loss stays near the zero \
                      predictor's for the whole run, and the status line says it is on a plateau.",
        query: "attn=softmax&steps=3000&seed=5",
    },
    Preset {
        name: "softmax2",
        title: "Softmax attention, 2 heads",
        description: "Two softmax heads can approximate the linear layer (paper appendix) and get close to GD.",
        query: "heads=2&attn=softmax",
    },
    Preset {
        name: "ood",
        title: "Out of distribution: inputs twice as large",
        description: "Scale the test inputs by α = 2: GD's loss grows many times over while least squares \
                      stays exact. Does the transformer follow GD into that failure? The out-of-distribution \
                      chart and the story give the measured losses.",
        query: "alpha=2",
    },
    Preset {
        name: "query-in-keys",
        title: "Critique: the query among the keys (two layers)",
        description: "At one layer the query among the keys changes nothing for the construction: the \
                      query's label entry is 0, so the value it adds is 0. From two layers on that entry \
                      holds a prediction and enters the sums. Compare the loss with two GD steps and GD++, \
                      and with the two-layer experiment that keeps the query out.",
        query: "layers=2&query_in_keys=true",
    },
    Preset {
        name: "noise",
        title: "Critique: noisy labels, GD vs ridge",
        description: "With label noise σ = 0.5, ridge regression with λ = σ² is the Bayes-optimal \
                      predictor, and least squares (OLS), which fits the noise when N = d, is far worse \
                      than GD. Where does the transformer land between them?",
        query: "noise=0.5",
    },
    Preset {
        name: "aniso",
        title: "Critique: stretched inputs, preconditioned GD",
        description: "Input scales differ by a factor κ = 3. The symmetric set-up was what made one \
                      layer's optimum plain GD: now the trained layer matches preconditioned GD \
                      (the best one-step learner for these inputs) far better than plain GD.",
        query: "aniso=3",
    },
    Preset {
        name: "paper-text",
        title: "x ~ U(−1, 1) as the paper's text says",
        description: "The paper's text draws inputs from U(−1, 1), but its figures were made with \
                      U(−0.5, 0.5); with r = 1 the numbers differ from the figures.",
        query: "x_range=1",
    },
    Preset {
        name: "drag1d",
        title: "One dimension: drag the examples",
        description: "d = 1 and N = 5, trained in a few seconds. In \"One prompt, up close\" drag an \
                      example or the query: the frozen transformer's answer follows, like one GD step.",
        query: "d=1&n=5&lr=0.005&steps=600",
    },
    Preset {
        name: "outlier",
        title: "One far-off example in the prompt",
        description: "The same one-dimensional run, shown a prompt whose last example lies far off \
                      the line through the others: see how much it pulls the transformer, GD and OLS.",
        query: "d=1&n=5&lr=0.005&steps=600&prompt=-0.4,-0.48;-0.15,-0.18;0.1,0.12;0.3,0.36;0.45,-1.5|0.35",
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_canonical_queries() {
        for p in PRESETS {
            // A preset is a link: settings, and maybe a view key such as `prompt`.
            let (cfg, view, notices) = crate::link::parse(p.query);
            assert!(notices.is_empty(), "{}: {notices:?}", p.name);
            assert_eq!(
                crate::link::to_query(&cfg, &view),
                p.query,
                "{} is not in canonical form",
                p.name
            );
        }
    }
}
