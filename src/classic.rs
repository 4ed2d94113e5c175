//! Classic tokens (paper §4, fig. 5): x and y in separate tokens, x₁, y₁, x₂, y₂, …, x_N, y_N,
//! x_q (2N + 1 tokens), each with a sinusoidal position code appended, read by two attention
//! layers with their own weights: softmax attention first, linear attention second. The paper
//! reports that the first layer learns to copy each y_i next to its x_i (an induction-head-like
//! step) and the second then does one GD step, so two layers match one GD step, not two.
//!
//! The paper leaves the details out; they are those of the authors' code
//! (google-research/self-organising-systems, `transformers_learn_icl_by_gd`: `src/data.py`,
//! `create_reg_data_classic_token`; `src/transformer.py`; `src/attn.py`, `create_pos_encoding`;
//! the notebook `normal_token_construct.ipynb`):
//! * a token has d data entries: x_i for an x token, (0, …, 0, y_i) for a y token (the label in
//!   the last entry), x_q for the query (which has no label slot of its own);
//! * the position code has 10 entries (`pos_enc_size = 10`, `concat_pos_enc = True`), appended
//!   after the data: pe(p)_{2i} = sin(p·10000^{−2i/10}), pe(p)_{2i+1} = cos(p·10000^{−2i/10}) for
//!   the token at position p = 0 … 2N;
//! * keys and values come from the 2N context tokens (`include_query = False`), every token is
//!   updated, with a residual connection, no LayerNorm, MLP, bias or projections
//!   (`deq = False`, `first_layer_sm = True`, `key_size` = the token width);
//! * the prediction is read where the paired layout reads it, ŷ = −(last entry of the query
//!   token after the last layer): here the last entry of the query's position code, which is
//!   cos(2N·10000^{−0.8}) ≈ 1 before any layer, so the untrained model predicts about −1 and its
//!   loss is about 0.5·(E y² + 1) ≈ 0.92 at d = 10, not the zero predictor's 0.42;
//! * the initial weights have variance 0.02/K/fan_in (`init_scale = 0.02 / num_layers`), the
//!   gradient is clipped to norm 10, Adam at lr 10⁻³, batch 2048, 10 000 steps.
//!
//! The model reads the same tasks as the paired one: [`Layout::lay_out`] turns a task's paired
//! token matrix into the classic sequence, and [`Layout::grad_to_paired`] maps a gradient back, so ∂ŷ/∂x_q and
//! everything built on it (the alignment metrics, the prompt view) need nothing new. The layers
//! are `lsa.rs`'s (forward and backward); `model.rs` chains them, and `copy.rs` measures the
//! first layer's copy.

/// Entries of the position code appended to every token (the authors' `pos_enc_size`).
pub const PE_SIZE: usize = 10;

/// Token width: d data entries, then the position code.
pub fn width(d: usize) -> usize {
    d + PE_SIZE
}

/// The position code of the token at position `p` (0-based): sin and cos pairs at the
/// frequencies 10000^{−2i/10}, i = 0 … 4 (`create_pos_encoding`). Computed in f64 with `libm`,
/// so every build gets the same bits.
pub fn position_code(p: usize) -> [f32; PE_SIZE] {
    let mut pe = [0.0f32; PE_SIZE];
    for i in 0..PE_SIZE / 2 {
        let freq = libm::exp((2 * i) as f64 * (-libm::log(10000.0) / PE_SIZE as f64));
        let angle = p as f64 * freq;
        pe[2 * i] = libm::sin(angle) as f32;
        pe[2 * i + 1] = libm::cos(angle) as f32;
    }
    pe
}

/// The classic layout of tasks with d inputs and N examples, with its position codes computed
/// once (a layout is made per workspace, not per task).
#[derive(Clone, Debug)]
pub struct Layout {
    pub d: usize,
    pub n: usize,
    /// The position codes of the 2N + 1 positions, `(2N + 1) × 10`.
    codes: Vec<f32>,
}

impl Layout {
    pub fn new(d: usize, n: usize) -> Layout {
        Layout {
            d,
            n,
            codes: (0..2 * n + 1).flat_map(position_code).collect(),
        }
    }

    /// Writes the classic sequence of one task into `out` ((2N + 1) × (d + 10), row-major) from
    /// its paired tokens `paired` ((N + 1) × (d + 1): (x_i, y_i), then (x_q, 0)).
    pub fn lay_out(&self, paired: &[f32], out: &mut [f32]) {
        let (d, pw, w) = (self.d, self.d + 1, width(self.d));
        for p in 0..2 * self.n + 1 {
            let row = &mut out[p * w..(p + 1) * w];
            let src = &paired[(p / 2) * pw..(p / 2 + 1) * pw];
            let (data, code) = row.split_at_mut(d);
            if p % 2 == 0 {
                // x_i (or x_q at p = 2N).
                data.copy_from_slice(&src[..d]);
            } else {
                data.fill(0.0);
                data[d - 1] = src[d];
            }
            code.copy_from_slice(&self.codes[p * PE_SIZE..(p + 1) * PE_SIZE]);
        }
    }

    /// Maps a gradient with respect to the classic sequence (`g`, as [`Layout::lay_out`] writes
    /// it) to the paired tokens it was laid out from (`out`, overwritten): x entries from the x
    /// tokens, each label from the last data entry of its y token. The query's label slot is not
    /// read, so its gradient is 0.
    pub fn grad_to_paired(&self, g: &[f32], out: &mut [f32]) {
        let (d, pw, w) = (self.d, self.d + 1, width(self.d));
        out.fill(0.0);
        for p in 0..2 * self.n + 1 {
            let row = &g[p * w..p * w + d];
            let dst = &mut out[(p / 2) * pw..(p / 2 + 1) * pw];
            if p % 2 == 0 {
                dst[..d].copy_from_slice(row);
            } else {
                dst[d] = row[d - 1];
            }
        }
    }
}
