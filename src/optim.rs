//! Adam (Kingma & Ba) with global-norm gradient clipping, as in the reference code:
//! b1 = 0.9, b2 = 0.98, eps = 1e-8; the gradient is rescaled to norm ≤ `clip` first.

#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f64,
    pub b1: f64,
    pub b2: f64,
    pub eps: f64,
    pub clip: f64,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Adam {
    pub fn new(n: usize, lr: f64, clip: f64) -> Self {
        Adam {
            lr,
            b1: 0.9,
            b2: 0.98,
            eps: 1e-8,
            clip,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One update of `params` from `grad` (clipped in place). Returns the gradient's norm
    /// before clipping.
    pub fn step(&mut self, params: &mut [f32], grad: &mut [f32]) -> f64 {
        let norm = grad
            .iter()
            .map(|g| (*g as f64) * (*g as f64))
            .sum::<f64>()
            .sqrt();
        if norm > self.clip {
            let s = (self.clip / norm) as f32;
            grad.iter_mut().for_each(|g| *g *= s);
        }
        self.t += 1;
        let (b1, b2) = (self.b1 as f32, self.b2 as f32);
        let c1 = 1.0 - self.b1.powi(self.t);
        let c2 = 1.0 - self.b2.powi(self.t);
        // Fold both bias corrections into the step size (same maths, one multiply per entry).
        let step = (self.lr * c2.sqrt() / c1) as f32;
        let eps = (self.eps * c2.sqrt()) as f32;
        for ((p, g), (m, v)) in params
            .iter_mut()
            .zip(grad.iter())
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step * *m / (v.sqrt() + eps);
        }
        norm
    }
}
