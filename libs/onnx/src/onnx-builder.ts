/**
 * A small builder over the official onnx.proto (protobufjs static code from `onnx-proto`): nodes, float
 * initialisers, dynamic-shape inputs and outputs, and the model envelope. Nothing divblur-specific lives here.
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

export type AttributeValue = number | readonly number[] | string;

export class GraphBuilder {
  readonly nodes: OnnxProtoModule.onnx.INodeProto[] = [];
  readonly initializers: OnnxProtoModule.onnx.ITensorProto[] = [];
  readonly inputs: OnnxProtoModule.onnx.IValueInfoProto[] = [];
  readonly outputs: OnnxProtoModule.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh intermediate tensor name, readable in Netron: `<hint>_<n>`. */
  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dims));
    return name;
  }

  /** A float32 constant in the graph (weights, normalisation scalars). */
  constant(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new RangeError(`constant ${name}: ${values.length} values for shape [${dims}]`);
    this.initializers.push({
      name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    });
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
  if (typeof value === 'string') return { name, type: type.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: type.INT, i: value } : { name, type: type.FLOAT, f: value };
  }
  return { name, type: type.INTS, ints: [...value] };
}

function valueInfo(name: string, dims: readonly Dim[]): OnnxProtoModule.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Serialises a graph into an ONNX model file (bytes). */
export function encodeModel(graph: OnnxProtoModule.onnx.IGraphProto, metadata: Record<string, string>,
  producerVersion: string, docString = ''): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
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
