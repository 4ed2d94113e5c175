//! Where a run stands, read from its evaluation history: when it first reached the loss of the
//! learner it is compared with (one GD step for one layer, GD++ from two layers on), and whether
//! its loss has gone flat: on a plateau near the zero predictor, or settled short of that learner.
//! The page words its status from this, so "reached GD" or "on a plateau" is never a guess.

use crate::compare::Baselines;
use crate::run::History;
use serde::Serialize;

/// A loss within this factor of the target learner's counts as having reached it.
pub const REACHED: f64 = 1.01;
/// The loss is flat when it fell by less than this fraction of the zero predictor's loss...
pub const FLAT_DROP: f64 = 0.01;
/// ...over at least this many steps (and this many evaluations).
pub const FLAT_STEPS: usize = 500;
pub const FLAT_EVALS: usize = 5;
/// A flat loss above this fraction of the zero predictor's is a plateau before learning (the
/// fitted one-head softmax family already reaches ≈ 0.70 × zero, one GD step ≈ 0.49 ×).
pub const NEAR_ZERO: f64 = 0.9;
/// A flat loss more than this factor above the target learner's has settled short of it.
pub const SHORT_OF: f64 = 1.1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Still falling (or too early to say).
    Learning,
    /// Reached the target learner's loss (within 1 %) at some step.
    Reached,
    /// Flat near the zero predictor's loss: nothing learned yet.
    Plateau,
    /// Flat, between the zero predictor and the target learner, more than 10 % above the target.
    Settled,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    /// The learner the run is compared with: "gd" (K = 1) or "gdpp" (K ≥ 2).
    pub target: &'static str,
    pub target_loss: f64,
    /// First evaluated step after 0 whose loss is within 1 % of the target's.
    pub reached_at: Option<usize>,
    /// First evaluated step after 0 whose loss is within 1 % of the reference GD's (which moves
    /// with `gd_eta`: recomputed from the history, never stale).
    pub reached_gd_at: Option<usize>,
    /// The earliest evaluated step from which the loss fell by less than 1 % of the zero
    /// predictor's loss, when that span is long enough to count as flat.
    pub flat_since: Option<usize>,
    pub verdict: Verdict,
}

/// The first evaluated step after 0 with loss ≤ `threshold`.
fn first_at_most(h: &History, threshold: f64) -> Option<usize> {
    h.eval_step
        .iter()
        .zip(&h.eval_loss)
        .find(|&(&s, &l)| s > 0 && l <= threshold)
        .map(|(&s, _)| s as usize)
}

/// The earliest step of the flat tail of the loss curve, if the tail is long enough.
fn flat_since(h: &History, zero_loss: f64) -> Option<usize> {
    let (steps, losses) = (&h.eval_step, &h.eval_loss);
    let (&last_step, &now) = (steps.last()?, losses.last()?);
    if !now.is_finite() {
        return None;
    }
    let band = FLAT_DROP * zero_loss;
    // Walk back while every earlier loss is within the band above (or below) the current one.
    let mut i = losses.len() - 1;
    while i > 0 && (losses[i - 1] - now).abs() <= band {
        i -= 1;
    }
    let since = steps[i] as usize;
    let long = last_step as usize - since >= FLAT_STEPS && losses.len() - i >= FLAT_EVALS;
    long.then_some(since)
}

impl Progress {
    /// The run's standing from its `history`, against `baselines`, for a model compared with
    /// `layers` steps (`Config::compared_steps`: one for classic tokens).
    pub fn of(history: &History, baselines: &Baselines, layers: usize) -> Progress {
        let b = baselines;
        Progress::from_losses(history, b.zero_loss, b.gd_loss, b.gdpp_loss, layers)
    }

    /// The same from the three losses it depends on.
    pub fn from_losses(h: &History, zero: f64, gd: f64, gdpp: f64, layers: usize) -> Progress {
        let (target, target_loss) = if layers >= 2 {
            ("gdpp", gdpp)
        } else {
            ("gd", gd)
        };
        let reached_at = first_at_most(h, REACHED * target_loss);
        let flat_since = flat_since(h, zero);
        let now = h.eval_loss.last().copied().unwrap_or(f64::NAN);
        let verdict = match (reached_at, flat_since) {
            (Some(_), _) => Verdict::Reached,
            (None, Some(_)) if now > NEAR_ZERO * zero => Verdict::Plateau,
            (None, Some(_)) if now > SHORT_OF * target_loss => Verdict::Settled,
            _ => Verdict::Learning,
        };
        Progress {
            target,
            target_loss,
            reached_at,
            reached_gd_at: first_at_most(h, REACHED * gd),
            flat_since,
            verdict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A history evaluated every 20 steps with the given losses.
    fn history(losses: &[f64]) -> History {
        History {
            eval_step: (0..losses.len()).map(|i| 20 * i as u32).collect(),
            eval_loss: losses.to_vec(),
            ..History::default()
        }
    }

    const ZERO: f64 = 0.42;
    const GD: f64 = 0.2;
    const GDPP: f64 = 0.11;

    #[test]
    fn a_run_that_meets_gd_has_reached_it_at_that_step() {
        let mut l: Vec<f64> = (0..30).map(|i| ZERO - 0.01 * i as f64).collect();
        l.extend([0.201, 0.2005, 0.2]);
        let p = Progress::from_losses(&history(&l), ZERO, GD, GDPP, 1);
        assert_eq!(p.verdict, Verdict::Reached);
        assert_eq!(p.reached_at, Some(20 * 22)); // 0.42 − 0.22 = 0.20 ≤ 1.01 × GD
        assert_eq!(p.reached_gd_at, p.reached_at);
    }

    #[test]
    fn a_flat_loss_near_the_zero_predictor_is_a_plateau() {
        let l: Vec<f64> = (0..60).map(|i| ZERO - 0.00005 * i as f64).collect();
        let p = Progress::from_losses(&history(&l), ZERO, GD, GDPP, 1);
        assert_eq!(p.verdict, Verdict::Plateau);
        assert_eq!(p.flat_since, Some(0));
        // Too short to call: 4 evaluations over 60 steps.
        let p = Progress::from_losses(&history(&l[..4]), ZERO, GD, GDPP, 1);
        assert_eq!((p.verdict, p.flat_since), (Verdict::Learning, None));
    }

    #[test]
    fn a_flat_loss_short_of_the_target_has_settled_and_a_falling_one_is_learning() {
        // Falls to 0.3, then stays: settled 50 % above GD, flat from step 400.
        let mut l: Vec<f64> = (0..20).map(|i| ZERO - 0.006 * i as f64).collect();
        l.extend(std::iter::repeat_n(0.3, 40));
        let p = Progress::from_losses(&history(&l), ZERO, GD, GDPP, 1);
        assert_eq!(p.verdict, Verdict::Settled);
        assert_eq!(p.flat_since, Some(20 * 20));
        // Two layers below GD but still falling towards GD++: learning, GD reached.
        let l: Vec<f64> = (0..60).map(|i| ZERO - 0.005 * i as f64).collect();
        let p = Progress::from_losses(&history(&l), ZERO, GD, GDPP, 2);
        assert_eq!((p.target, p.verdict), ("gdpp", Verdict::Learning));
        assert!(p.reached_gd_at.is_some() && p.reached_at.is_none());
    }
}
