//! Seeded random streams: every random number in icl-lab comes from one of these, derived from
//! the single `seed` knob, so a seed (and a shared link) reproduces a run bit for bit.
//!
//! Separate streams keep unrelated things independent: changing the training budget or the
//! batch size never changes the initial weights or the held-out evaluation tasks.

use rand::rngs::Xoshiro256PlusPlus;
use rand::Rng as _;
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

/// Generator number `index` of `stream` under `seed`: the training step's shards each draw from
/// their own (shard.rs), so any worker can draw any shard's tasks.
pub fn substream(which: Stream, seed: u64, index: u64) -> Rng {
    // The stream's first number keys the family; seed_from_u64 runs SplitMix64 on key ^ index,
    // so nearby indices still give unrelated states.
    let key = stream(seed, which).next_u64();
    Rng::seed_from_u64(key ^ index.wrapping_mul(0xA24B_AED4_963E_E407))
}
