// Helpers every kernel shares; shaders/common.ts prepends the shared constants.

// By bits: compilers may assume no NaN/Inf and fold `v != v` away.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}
