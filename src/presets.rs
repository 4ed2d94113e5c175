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
    /// The card to watch (its `data-testid` on the page): the page scrolls to it and marks it.
    pub watch: &'static str,
    /// One sentence of what to look for in that card (no number: the page shows those live).
    pub look: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "fig2",
        title: "Paper fig. 2: one layer = one GD step",
        description: "d = N = 10, one linear-attention layer. Within a few hundred steps its loss meets \
                      gradient descent's at the best step size η*, and its weights become the construction.",
        query: "",
        watch: "chart-loss",
        look: "Watch the thick orange curve fall from the grey zero-predictor line to the blue line of one GD step at η*; the headline names the step where it gets there.",
    },
    Preset {
        name: "gdpp",
        title: "Paper fig. 3: two recurrent layers vs GD++",
        description: "Two applications of one layer end clearly below two steps of plain GD, near GD++, \
                      which also preconditions the inputs. Trained at lr 2·10⁻³, twice the paper's, so \
                      that it gets there in seconds; at the paper's 10⁻³ it also ends within 5 % of GD++, later.",
        query: "layers=2&lr=0.002",
        watch: "chart-loss",
        look: "Does the thick orange curve go below the dashed line of two plain GD steps, towards the green GD++ line? The headline gives both gaps in per cent.",
    },
    Preset {
        name: "deep3",
        title: "Three recurrent layers",
        description: "Three layers vs three GD steps and GD++ (clipping 10, as the reference code does for K > 2).",
        query: "layers=3",
        watch: "chart-loss",
        look: "Compare the thick orange curve with the dashed line of three GD steps and the green GD++ line; the headline gives both gaps in per cent.",
    },
    Preset {
        name: "deep5",
        title: "Paper fig. 3: five layers with their own weights",
        description: "A deep model: five layers, each with its own weights. It ends far below five \
                      plain GD steps and below GD++ with one (η, γ) shared by all steps; GD++ with its \
                      own (η, γ) per step, the fair comparison for a deep model, goes lower still. The \
                      paper trains 50 000 steps at lr 5·10⁻⁴ with batch 2048; this preset trains 3000 \
                      steps at lr 2·10⁻³ with batch 512 to finish within a minute, so it ends further \
                      from that per-step GD++ than the paper's model does.",
        query: "layers=5&recurrent=false&lr=0.002&batch=512&steps=3000&clip=10",
        watch: "chart-loss",
        look: "Watch the thick orange curve pass the dashed line of five GD steps and then the green GD++ line; the “Layer by layer” chart shows the loss after each layer.",
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
        watch: "chart-loss",
        look: "Watch whether the thick orange curve lingers near the grey zero-predictor line before it falls; the status line says when the run is on a plateau.",
    },
    Preset {
        name: "softmax2",
        title: "Softmax attention, 2 heads",
        description: "Two softmax heads can approximate the linear layer (paper appendix) and get close to GD.",
        query: "heads=2&attn=softmax",
        watch: "chart-loss",
        look: "Compare the thick orange curve with the blue line of one GD step; the headline gives the gap in per cent.",
    },
    Preset {
        name: "classic",
        title: "Paper fig. 5: x and y in separate tokens",
        description: "Classic tokens: x₁, y₁, …, x_N, y_N, x_q, each with a position code, read by a \
                      softmax layer and then a linear one. The paper reports a long plateau, after which \
                      the first layer copies each y_i next to its x_i and the second does one GD step: two \
                      layers then match one GD step, not two. The paper trains 10 000 steps at lr 10⁻³ \
                      with batch 2048; this preset trains 3000 steps at lr 3·10⁻³ with batch 512 to finish \
                      within about a minute. How long the plateau lasts depends on the seed: this one \
                      (seed 5) leaves it after about 2000 steps, while with seed 3 the loss stays on it \
                      for all 3000 steps.",
        query: "layers=2&recurrent=false&attn=softmax&tokens=classic&lr=0.003&batch=512&steps=3000&seed=5&eval_every=50",
        watch: "chart-copy",
        look: "Watch the y-token curve rise above the other tokens' and the attention on the y token climb, as the loss leaves the zero predictor's line for that of one GD step.",
    },
    Preset {
        name: "ood",
        title: "Out of distribution: inputs twice as large",
        description: "Scale the test inputs by α = 2: GD's loss grows many times over while least squares \
                      stays exact. Does the transformer follow GD into that failure? The out-of-distribution \
                      chart and the story give the measured losses.",
        query: "alpha=2",
        watch: "chart-ood",
        look: "At α = 2 (the dotted marker), does the thick orange transformer curve rise with GD's dashed line or stay low with OLS? The line under the chart gives the losses.",
    },
    Preset {
        name: "shifted",
        title: "Test prompts unlike training",
        description: "Train as in fig. 2, then test on prompts unlike the training ones, one shift at a \
                      time: inputs stretched (κ_test = 4) or correlated (ρ = 0.5), and tasks whose hidden W \
                      has mean μ = 1. GD and least squares are recomputed on the same prompts: does the \
                      transformer keep answering like GD, and like GD from W₀ = 0 or from the mean?",
        query: "steps=2000&test_aniso=4&test_corr=0.5&task_mean=1",
        watch: "card-shifts",
        look: "In the table of the card “Prompts unlike training”, compare the transformer's column with GD's, GD from μ's and OLS's on each row; the sentence under it says which it is nearer.",
    },
    Preset {
        name: "query-in-keys",
        title: "Critique: the query among the keys (two layers)",
        description: "At one layer the query among the keys changes nothing for the construction: the \
                      query's label entry is 0, so the value it adds is 0. From two layers on that entry \
                      holds a prediction and enters the sums. Compare the loss with two GD steps and GD++, \
                      and with the two-layer experiment that keeps the query out.",
        query: "layers=2&query_in_keys=true",
        watch: "chart-loss",
        look: "Compare the thick orange curve with the dashed two-step GD line and the green GD++ line; the headline gives the gaps.",
    },
    Preset {
        name: "noise",
        title: "Critique: noisy labels, GD vs ridge",
        description: "With label noise σ = 0.5, ridge regression with λ = σ² is the Bayes-optimal \
                      predictor, and least squares (OLS), which fits the noise when N = d, is far worse \
                      than GD. Where does the transformer land between them?",
        query: "noise=0.5",
        watch: "chart-loss",
        look: "Where does the thick orange curve settle between the ridge line (the best possible predictor here) and the line of one GD step? A baseline far above the zero predictor is named in the legend instead of stretching the axis.",
    },
    Preset {
        name: "aniso",
        title: "Critique: stretched inputs, preconditioned GD",
        description: "Input scales differ by a factor κ = 3. The symmetric set-up was what made one \
                      layer's optimum plain GD: now the trained layer matches preconditioned GD \
                      (the best one-step learner for these inputs) far better than plain GD.",
        query: "aniso=3",
        watch: "chart-align",
        look: "Read the sentence under the alignment chart: preds diff against preconditioned GD beside preds diff against plain GD.",
    },
    Preset {
        name: "label-blind",
        title: "Control: label-blind training (shuffled labels)",
        description: "The same model trained the same way, except that every training prompt's labels \
                      belong to another task of the batch: a prompt says nothing about its query, so \
                      nothing can be learned in context. Evaluation prompts are normal. Its model cos, \
                      preds diff and model diff against GD are what the set-up alone scores: pin a \
                      default run first, then compare its numbers with this run's.",
        query: "labels=shuffled",
        watch: "chart-align",
        look: "Compare the purple model-cos and orange preds-diff curves with the dashed curves labelled pinned, of a default run pinned first: they show how close to GD a model gets when its training prompts carry no usable labels.",
    },
    Preset {
        name: "layernorm",
        title: "Critique: LayerNorm before attention",
        description: "Real transformers normalise every token before attention; the paper's main \
                      experiments do not. Its appendix reports that a layer trained with LayerNorm is \
                      worse than GD on inputs like the training ones but better for much larger ones: a \
                      normalised token forgets its own size, while GD's answer grows with the cube of \
                      the input scale. The out-of-distribution chart and the story give this run's \
                      losses at every scale α.",
        query: "layernorm=true&steps=2000&alpha=2",
        watch: "chart-ood",
        look: "Is the thick orange transformer curve above GD's dashed line at the training scale and below it for the largest inputs? The sentence under the chart gives the losses at α = 2.",
    },
    Preset {
        name: "mlp",
        title: "Critique: an MLP block after attention",
        description: "A standard transformer layer adds a GELU MLP after attention; the paper's main \
                      experiments leave it out. With one of width 44 (four times the token width, as in \
                      the paper's code): does the trained model still match GD, and do its attention \
                      weights still look like the construction? The story compares its step size with \
                      GD's and says how much of the answer the MLP gives.",
        query: "mlp=44&steps=2000",
        watch: "chart-weights",
        look: "Compare the learned W_KQ/β and W_PV·β with the construction beside them, and the learned step size η/N under the heatmaps with η*/N.",
    },
    Preset {
        name: "paper-text",
        title: "x ~ U(−1, 1) as the paper's text says",
        description: "The paper's text draws inputs from U(−1, 1), but its figures were made with \
                      U(−0.5, 0.5); with r = 1 the numbers differ from the figures.",
        query: "x_range=1",
        watch: "chart-loss",
        look: "Compare the labelled lines with the first experiment's: with inputs twice as wide every loss is on another scale.",
    },
    Preset {
        name: "drag1d",
        title: "One dimension: drag the examples",
        description: "d = 1 and N = 5, trained in a few seconds. In \"One prompt, up close\" drag an \
                      example or the query: the frozen transformer's answer follows, like one GD step.",
        query: "d=1&n=5&lr=0.005&steps=600",
        watch: "prompt-card",
        look: "Drag an example or the query in the plot and compare the transformer's answer with GD's in the table beside it.",
    },
    Preset {
        name: "outlier",
        title: "One far-off example in the prompt",
        description: "The same one-dimensional run, shown a prompt whose last example lies far off \
                      the line through the others: see how much it pulls the transformer, GD and OLS.",
        query: "d=1&n=5&lr=0.005&steps=600&prompt=-0.4,-0.48;-0.15,-0.18;0.1,0.12;0.3,0.36;0.45,-1.5|0.35",
        watch: "prompt-card",
        look: "Compare how far the far-off example pulls the transformer's, GD's and OLS's answers: the table beside the plot lists them.",
    },
];

/// The cards a preset may point at (`watch`): the page's `data-testid`s.
pub const CARDS: &[&str] = &[
    "chart-loss",
    "chart-align",
    "chart-copy",
    "chart-weights",
    "chart-scatter",
    "chart-ood",
    "card-shifts",
    "chart-sweep",
    "prompt-card",
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_point_at_a_card_with_a_sentence_without_numbers() {
        for p in PRESETS {
            assert!(CARDS.contains(&p.watch), "{}: {}", p.name, p.watch);
            assert!(p.look.ends_with('.') && p.look.len() > 20, "{}", p.name);
            // Numbers on the page are live; a fixed one in the sentence could go stale. (α = 2 is
            // the preset's own setting.)
            let look = p.look.replace("α = 2", "");
            assert!(
                !look.chars().any(|c| c.is_ascii_digit()) || p.name == "paper-text",
                "{}: {}",
                p.name,
                p.look
            );
        }
    }

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
