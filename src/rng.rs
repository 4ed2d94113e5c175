//! Seeded random streams: every random number in icl-lab comes from one of these, derived from
//! the single `seed` knob, so a seed (and a shared link) reproduces a run bit for bit.
//!
//! Separate streams keep unrelated things independent: changing the training budget or the
//! batch size never changes the initial weights or the held-out evaluation tasks.

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

/// The generator behind every stream. Xoshiro256++ is named explicitly (not `SmallRng`/`StdRng`)
/// because it gives the same numbers on x86_64 and wasm32.
pub type Rng = Xoshiro256PlusPlus;

/// What a stream is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Fresh training tasks, one batch per step.
    Train = 1,
    /// Initial transformer weights.
    Init = 2,
    /// The fixed held-out evaluation tasks (also scaled for the OOD read-out).
    Eval = 3,
}

/// The generator for `stream` under `seed`.
pub fn stream(seed: u64, which: Stream) -> Rng {
    // seed_from_u64 runs SplitMix64, so nearby (seed, stream) pairs still give unrelated states.
    Rng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (which as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}
