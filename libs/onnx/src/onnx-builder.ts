/**
 * A small builder over the official onnx.proto (protobufjs static code from `onnx-proto`): nodes, typed
 * initialisers, dynamic-shape inputs and outputs, subgraphs (Loop bodies) and the model envelope. Nothing
 * divblur-specific lives here.
 */
import { createRequire } from 'node:module';
import type * as OnnxProtoModule from 'onnx-proto';

// onnx-proto is CommonJS (`module.exports = $root`): Node's ESM loader sees no named export `onnx`.
const require = createRequire(import.meta.url);
export const { onnx } = require('onnx-proto') as typeof OnnxProtoModule;
type Proto = typeof OnnxProtoModule.onnx;

/** IR 8 = ONNX 1.10 (what onnx-proto 8.0.1 encodes); opset 17 is read by onnxruntime ≥ 1.13. */
export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

/** A dimension: a fixed size or a symbolic name (dynamic). */
export type Dim = number | string;

/** A graph attribute (a Loop's body) is given as `{ graph }`. */
export type AttributeValue = number | readonly number[] | string | { readonly graph: OnnxProtoModule.onnx.IGraphProto };

/** Element types the divblur graphs use. */
export type ElementType = 'float' | 'double' | 'int64' | 'uint32' | 'bool';

const ELEMENT_TYPES: Record<ElementType, number> = {
  float: onnx.TensorProto.DataType.FLOAT, double: onnx.TensorProto.DataType.DOUBLE, int64: onnx.TensorProto.DataType.INT64,
  uint32: onnx.TensorProto.DataType.UINT32, bool: onnx.TensorProto.DataType.BOOL,
};

/** Little-endian raw bytes of `values` as `type` (the layout of TensorProto.raw_data). */
function rawBytes(values: readonly number[] | Float32Array, type: ElementType): Uint8Array {
  const width = { float: 4, double: 8, int64: 8, uint32: 4, bool: 1 }[type];
  const out = new DataView(new ArrayBuffer(values.length * width));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (type === 'float') out.setFloat32(4 * i, v, true);
    else if (type === 'double') out.setFloat64(8 * i, v, true);
    else if (type === 'int64') out.setBigInt64(8 * i, BigInt(v), true);
    else if (type === 'uint32') out.setUint32(4 * i, v >>> 0, true);
    else out.setUint8(i, v ? 1 : 0);
  }
  return new Uint8Array(out.buffer);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class GraphBuilder {
  readonly nodes: OnnxProtoModule.onnx.INodeProto[] = [];
  readonly initializers: OnnxProtoModule.onnx.ITensorProto[] = [];
  readonly inputs: OnnxProtoModule.onnx.IValueInfoProto[] = [];
  readonly outputs: OnnxProtoModule.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, OnnxProtoModule.onnx.ITensorProto>();

  /** `root`: for a subgraph, the model's main graph, which then owns its fresh names and its constants. */
  constructor(readonly name: string, private readonly root?: GraphBuilder) {}

  /**
   * A builder for a subgraph (a Loop body): names stay unique across the model, and its constants become the main
   * graph's initialisers, read from the outer scope, so that a body repeated per view does not repeat the weights.
   */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this.root ?? this);
  }

  /** A fresh intermediate tensor name, readable in Netron: `<hint>_<n>`. */
  fresh(hint: string): string {
    return this.root ? this.root.fresh(hint) : `${hint}_${this.counter++}`;
  }

  /** `dims` null: the shape is left to the runtime (a Loop body's carried values). */
  input(name: string, dims: readonly Dim[] | null, type: ElementType = 'float'): string {
    this.inputs.push(valueInfo(name, dims, type));
    return name;
  }

  output(name: string, dims: readonly Dim[] | null, type: ElementType = 'float'): string {
    this.outputs.push(valueInfo(name, dims, type));
    return name;
  }

  /** A float32 constant in the graph (weights, normalisation scalars). */
  constant(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.typedConstant(name, dims, data, 'float');
  }

  /**
   * A constant of any element type. The same name with the same value is one initialiser (the encoder of each view
   * of an MMSE graph names the same weights); the same name with another value is a bug and throws.
   */
  typedConstant(name: string, dims: readonly number[], data: Float32Array | readonly number[], type: ElementType): string {
    if (this.root) return this.root.typedConstant(name, dims, data, type);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new RangeError(`constant ${name}: ${data.length} values for shape [${dims}]`);
    const tensor = { name, dims: [...dims], dataType: ELEMENT_TYPES[type], rawData: rawBytes(data, type) };
    const known = this.constants.get(name);
    if (known) {
      if (known.dataType !== tensor.dataType || known.dims!.join() !== tensor.dims.join() || !sameBytes(known.rawData!, tensor.rawData)) {
        throw new RangeError(`constant ${name} is defined twice with different values`);
      }
      return name;
    }
    this.constants.set(name, tensor);
    this.initializers.push(tensor);
    return name;
  }

  /** Adds one node; returns its first output name (`outputs` default to one fresh name). */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {},
    outputs: readonly string[] = [this.fresh(opType.toLowerCase())]): string {
    this.nodes.push({
      opType, input: [...inputs], output: [...outputs], name: this.fresh(`${opType}_node`),
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outputs[0];
  }

  graph(): OnnxProtoModule.onnx.IGraphProto {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}

function attribute(name: string, value: AttributeValue): OnnxProtoModule.onnx.IAttributeProto {
  const type = (onnx as Proto).AttributeProto.AttributeType;
  if (typeof value === 'object' && 'graph' in value) return { name, type: type.GRAPH, g: value.graph };
  if (typeof value === 'string') return { name, type: type.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: type.INT, i: value } : { name, type: type.FLOAT, f: value };
  }
  return { name, type: type.INTS, ints: [...value] };
}

function valueInfo(name: string, dims: readonly Dim[] | null, type: ElementType): OnnxProtoModule.onnx.IValueInfoProto {
  const shape = dims === null ? {} : { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } };
  return { name, type: { tensorType: { elemType: ELEMENT_TYPES[type], ...shape } } };
}

/** Serialises a graph into an ONNX model file (bytes). */
export function encodeModel(graph: OnnxProtoModule.onnx.IGraphProto, metadata: Record<string, string>,
  producerVersion: string, docString = '', opset = OPSET_VERSION): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'divblur',
    producerVersion,
    docString,
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Parses ONNX bytes; throws protobufjs's error when they are not a ModelProto. */
export function decodeModel(bytes: Uint8Array): OnnxProtoModule.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
