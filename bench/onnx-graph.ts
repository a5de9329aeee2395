/**
 * Reads just enough of an ONNX file (protobuf ModelProto) to count the
 * network's convolution FLOPs for a given input size: Conv nodes with their
 * weight shapes, strides and groups, plus the Resize / Upsample scale factors
 * that change the spatial size between them. Pure (no runtime): used by the
 * benchmark's compute floor.
 */

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, { i?: number; ints?: number[]; f?: number; floats?: number[]; t?: OnnxTensor }>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Float values when the tensor is float32 (raw_data or float_data); empty otherwise. */
  floats: number[];
  /** Integer values when the tensor is int64 (raw_data or int64_data) and small; empty otherwise. */
  ints: number[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: string[];
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('ONNX: truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  }

  /** Reads a tag; returns [field, wireType]. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t % 8];
  }

  bytes(): Uint8Array {
    const n = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const n = this.varint(); // read first: `this.pos += this.varint()` would lose the length bytes
      this.pos += n;
    }
    else if (wire === 5) this.pos += 4;
    else throw new Error(`ONNX: unsupported wire type ${wire}`);
  }

  float32(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Signed int64 from a varint read as a JS number (ONNX stores -1 etc. as 10-byte varints). */
function signed(v: number): number {
  return v >= 2 ** 63 ? v - 2 ** 64 : v;
}

function packedVarints(b: Uint8Array): number[] {
  const r = new Reader(b);
  const out: number[] = [];
  while (r.pos < r.end) out.push(signed(r.varint()));
  return out;
}

function parseTensor(b: Uint8Array): OnnxTensor {
  const r = new Reader(b);
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, floats: [], ints: [] };
  let raw: Uint8Array | null = null;
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 0) t.dims.push(signed(r.varint()));
    else if (field === 1 && wire === 2) t.dims.push(...packedVarints(r.bytes()));
    else if (field === 2 && wire === 0) t.dataType = r.varint();
    else if (field === 4 && wire === 2) {
      const p = r.bytes();
      const fr = new Reader(p);
      while (fr.pos < fr.end) t.floats.push(fr.float32());
    } else if (field === 4 && wire === 5) t.floats.push(r.float32());
    else if (field === 7 && wire === 2) t.ints.push(...packedVarints(r.bytes()));
    else if (field === 7 && wire === 0) t.ints.push(signed(r.varint()));
    else if (field === 8 && wire === 2) t.name = text(r.bytes());
    else if (field === 9 && wire === 2) raw = r.bytes();
    else r.skip(wire);
  }
  if (raw && t.dataType === 1 && t.floats.length === 0 && raw.length <= 4096) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i + 4 <= raw.length; i += 4) t.floats.push(dv.getFloat32(i, true));
  }
  if (raw && t.dataType === 7 && t.ints.length === 0 && raw.length <= 4096) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i + 8 <= raw.length; i += 8) t.ints.push(Number(dv.getBigInt64(i, true)));
  }
  return t;
}

function parseAttribute(b: Uint8Array): [string, OnnxNode['attributes'] extends Map<string, infer V> ? V : never] {
  const r = new Reader(b);
  let name = '';
  const v: { i?: number; ints?: number[]; f?: number; floats?: number[]; t?: OnnxTensor } = {};
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) name = text(r.bytes());
    else if (field === 2 && wire === 5) v.f = r.float32();
    else if (field === 3 && wire === 0) v.i = signed(r.varint());
    else if (field === 5 && wire === 2) v.t = parseTensor(r.bytes());
    else if (field === 7 && wire === 2) {
      const fr = new Reader(r.bytes());
      v.floats ??= [];
      while (fr.pos < fr.end) v.floats.push(fr.float32());
    } else if (field === 7 && wire === 5) (v.floats ??= []).push(r.float32());
    else if (field === 8 && wire === 2) (v.ints ??= []).push(...packedVarints(r.bytes()));
    else if (field === 8 && wire === 0) (v.ints ??= []).push(signed(r.varint()));
    else r.skip(wire);
  }
  return [name, v];
}

function parseNode(b: Uint8Array): OnnxNode {
  const r = new Reader(b);
  const node: OnnxNode = { opType: '', inputs: [], outputs: [], attributes: new Map() };
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) node.inputs.push(text(r.bytes()));
    else if (field === 2 && wire === 2) node.outputs.push(text(r.bytes()));
    else if (field === 4 && wire === 2) node.opType = text(r.bytes());
    else if (field === 5 && wire === 2) {
      const [k, v] = parseAttribute(r.bytes());
      node.attributes.set(k, v);
    } else r.skip(wire);
  }
  return node;
}

/** Parses the graph of an ONNX ModelProto (nodes, initializers, input names). */
export function parseOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const r = new Reader(bytes);
  let graphBytes: Uint8Array | null = null;
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 7 && wire === 2) graphBytes = r.bytes();
    else r.skip(wire);
  }
  if (!graphBytes) throw new Error('ONNX: no graph in the model');
  const g = new Reader(graphBytes);
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [] };
  while (g.pos < g.end) {
    const [field, wire] = g.tag();
    if (field === 1 && wire === 2) graph.nodes.push(parseNode(g.bytes()));
    else if (field === 5 && wire === 2) {
      const t = parseTensor(g.bytes());
      graph.initializers.set(t.name, t);
    } else if (field === 11 && wire === 2) {
      const vi = new Reader(g.bytes());
      while (vi.pos < vi.end) {
        const [f, w] = vi.tag();
        if (f === 1 && w === 2) graph.inputs.push(text(vi.bytes()));
        else vi.skip(w);
      }
    } else g.skip(wire);
  }
  return graph;
}

export interface ConvCount {
  /** Multiply-adds × 2 of every Conv node for one image of height × width. */
  flops: number;
  convNodes: number;
  /**
   * The part of `flops` computed once per call whatever the batch: convolutions on the
   * first batch item only (downstream of a Slice that keeps batch item 0, as the student's
   * refiner, which the members of a frame share). A batch of B costs
   * sharedFlops + B × (flops − sharedFlops).
   */
  sharedFlops: number;
}

/** Whether a Slice node keeps only batch item 0 (constant starts / ends / axes). */
function slicesFirstItem(node: OnnxNode, ints: Map<string, number[]>): boolean {
  const [starts, ends, axes] = [node.inputs[1], node.inputs[2], node.inputs[3]].map((n) => (n ? ints.get(n) : undefined));
  if (!starts || !ends) return false;
  const k = (axes ?? starts.map((_, i) => i)).indexOf(0);
  return k >= 0 && starts[k] === 0 && ends[k] === 1;
}

/**
 * FLOPs (2 × multiply-accumulates) of all Conv nodes for one input of
 * height × width, found by propagating the spatial scale from the image inputs
 * through Conv strides and Resize/Upsample scales (other nodes keep the largest
 * scale of their inputs).
 */
export function convFlops(graph: OnnxGraph, height: number, width: number, spatialInputs?: readonly string[]): ConvCount {
  const scale = new Map<string, number>();
  const constants = new Map<string, number[]>();
  const ints = new Map<string, number[]>();
  /** Tensors that hold batch item 0 only (see ConvCount.sharedFlops). */
  const shared = new Set<string>();
  for (const name of spatialInputs ?? graph.inputs.filter((n) => !graph.initializers.has(n) && n !== 't')) scale.set(name, 1);
  for (const [name, t] of graph.initializers) {
    if (t.floats.length) constants.set(name, t.floats);
    if (t.ints.length) ints.set(name, t.ints);
  }
  let flops = 0;
  let sharedFlops = 0;
  let convNodes = 0;
  for (const node of graph.nodes) {
    if (node.opType === 'Constant') {
      const t = node.attributes.get('value')?.t;
      if (t && t.floats.length) constants.set(node.outputs[0]!, t.floats);
      if (t && t.ints.length) ints.set(node.outputs[0]!, t.ints);
      continue;
    }
    const spatialIn = node.inputs.filter((n) => scale.has(n));
    const inScales = spatialIn.map((n) => scale.get(n)!);
    if (inScales.length === 0) continue;
    let s = Math.max(...inScales);
    const isShared = (node.opType === 'Slice' && slicesFirstItem(node, ints)) || spatialIn.every((n) => shared.has(n));
    if (node.opType === 'Conv') {
      const w = graph.initializers.get(node.inputs[1]!);
      if (!w || w.dims.length !== 4) throw new Error(`ONNX: Conv weight ${node.inputs[1]} is not a 4-D initializer`);
      const [cout, cinPerGroup, kh, kw] = w.dims as [number, number, number, number];
      const strides = node.attributes.get('strides')?.ints ?? [1, 1];
      const pads = node.attributes.get('pads')?.ints ?? [0, 0, 0, 0];
      const hIn = Math.round(height * s);
      const wIn = Math.round(width * s);
      const hOut = Math.floor((hIn + pads[0]! + pads[2]! - kh) / strides[0]!) + 1;
      const wOut = Math.floor((wIn + pads[1]! + pads[3]! - kw) / strides[1]!) + 1;
      const f = 2 * cout * cinPerGroup * kh * kw * hOut * wOut;
      flops += f;
      if (isShared) sharedFlops += f;
      convNodes++;
      s = hOut / height;
    } else if (node.opType === 'SpaceToDepth' || node.opType === 'DepthToSpace') {
      // Pixel blocks folded into channels (and back): the spatial size shrinks (grows) by the block.
      const b = node.attributes.get('blocksize')?.i;
      if (!b) throw new Error(`ONNX: ${node.opType} without a blocksize`);
      s = node.opType === 'SpaceToDepth' ? s / b : s * b;
    } else if (node.opType === 'Resize' || node.opType === 'Upsample') {
      const scalesName = node.opType === 'Resize' ? node.inputs[2] : node.inputs[1];
      const scales = scalesName ? constants.get(scalesName) : undefined;
      if (scales && scales.length === 4) s *= scales[2]!;
      else throw new Error(`ONNX: ${node.opType} without constant scales; cannot follow the spatial size`);
    }
    for (const out of node.outputs) {
      scale.set(out, s);
      if (isShared) shared.add(out);
    }
  }
  return { flops, convNodes, sharedFlops };
}

// ------------------------------------------------------------------ writing

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const field = (num: number, wire: number) => varint(num * 8 + wire);
const vField = (num: number, v: number) => [...field(num, 0), ...varint(v)];
const bField = (num: number, bytes: ArrayLike<number>) => [...field(num, 2), ...varint(bytes.length), ...Array.from(bytes)];
const sField = (num: number, s: string) => bField(num, new TextEncoder().encode(s));

/**
 * A minimal ONNX model of `layers` 3×3 'same' convolutions, C → C channels, with
 * constant (initializer) weights, input `x` (B, C, H, W) → output `y`. Used to
 * measure the FLOP/s this machine sustains on convolutions (weights as
 * initializers, so ONNX Runtime pre-packs them as it does for the real networks).
 */
export function convStackModel(channels: number, layers: number, seed = 1): Uint8Array {
  const C = channels;
  const weights = new Float32Array(C * C * 9);
  let s = seed >>> 0;
  for (let i = 0; i < weights.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    weights[i] = (s / 2 ** 32 - 0.5) * (2 / Math.sqrt(9 * C));
  }
  const initializer = [
    ...bField(1, [].concat(...[C, C, 3, 3].map((d) => varint(d)) as never[])),
    ...vField(2, 1),
    ...sField(8, 'w'),
    ...bField(9, new Uint8Array(weights.buffer)),
  ];
  const ints = (name: string, values: number[]) => [...sField(1, name), ...bField(8, [].concat(...values.map((v) => varint(v)) as never[])), ...vField(20, 7)];
  const nodes: number[] = [];
  for (let l = 0; l < layers; l++) {
    const input = l === 0 ? 'x' : `h${l}`;
    const output = l === layers - 1 ? 'y' : `h${l + 1}`;
    nodes.push(...bField(1, [...sField(1, input), ...sField(1, 'w'), ...sField(2, output), ...sField(3, `conv${l}`), ...sField(4, 'Conv'),
      ...bField(5, ints('kernel_shape', [3, 3])), ...bField(5, ints('pads', [1, 1, 1, 1])), ...bField(5, ints('strides', [1, 1]))]));
  }
  const dims = (names: (string | number)[]) => names.map((d) => bField(1, typeof d === 'number' ? vField(1, d) : sField(2, d))).flat();
  const valueInfo = (name: string) => [...sField(1, name), ...bField(2, bField(1, [...vField(1, 1), ...bField(2, dims(['B', C, 'H', 'W']))]))];
  const graph = [...nodes, ...sField(2, 'conv-stack'), ...bField(5, initializer), ...bField(11, valueInfo('x')), ...bField(12, valueInfo('y'))];
  const model = [...vField(1, 8), ...sField(2, 'postfocus-station'), ...bField(7, graph), ...bField(8, [...sField(1, ''), ...vField(2, 17)])];
  return Uint8Array.from(model);
}
