// Appends the current position of each selected particle to its trail: a ring of
// `len` points per trail. src/gpu/trails.ts dispatches it once per frame, and prepends
// what kernels share (constants, ParticlePos) and the TrailParams declaration.

@group(0) @binding(0) var<uniform> params: TrailParams;
@group(0) @binding(1) var<storage, read> pos: array<ParticlePos>;
@group(0) @binding(2) var<storage, read> selected: array<u32>;
@group(0) @binding(3) var<storage, read_write> ring: array<ParticlePos>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= params.count) { return; }
  ring[j * params.len + params.head] = pos[selected[j]];
}
