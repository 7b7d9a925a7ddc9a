// Particle status codes: src/core/particles.ts holds the same values.
const RUNNING: u32 = 0u;
const CONVERGED: u32 = 1u;
const DIVERGED: u32 = 2u;
const NONFINITE: u32 = 3u;
const NO_MINIMUM: u32 = 0xffffffffu;

// By bits: compilers may assume no NaN/Inf and fold `v != v` away.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}
