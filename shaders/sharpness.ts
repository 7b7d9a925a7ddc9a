// The top eigenvalue of a symmetric 2x2 (hxx, hxy, hyy), the WGSL twin of
// topEigenvalue in src/core/analysis/sharpness.ts; the halvings are exact, so a
// reassociating compiler cannot change the bits.
export const TOP_EIGENVALUE_WGSL = `fn top_eigenvalue(h: vec3<f32>) -> f32 {
  let mean = (h.x + h.z) * 0.5f;
  let d = (h.x - h.z) * 0.5f;
  return mean + sqrt(d * d + h.y * h.y);
}`;
