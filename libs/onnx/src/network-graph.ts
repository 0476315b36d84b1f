/**
 * The divblur VAE (the model contract: U-less conv encoder/decoder, k×k 'same' convs, k any of KERNEL_SIZES) as ONNX nodes.
 * Layout NCHW. tfjs conv filter [kh,kw,cin,cout] and convTranspose filter [kh,kw,cout,cin] both become ONNX
 * weights by the permutation [3,2,0,1] (Conv W [cout,cin,kh,kw], ConvTranspose W [cin,cout,kh,kw]).
 */
import type { GraphBuilder } from './onnx-builder.ts';
import { OnnxModelError } from './errors.ts';
import { SOFTPLUS_KNEE, type ModelConfig, type Normalisation, type Parameter } from '@divblur/divblurring/contract';

export type Params = ReadonlyMap<string, Parameter>;

/** Permutes a rank-4 tfjs filter [a,b,c,d] into ONNX order [d,c,a,b]. */
export function permute3201(param: Parameter): { dims: number[]; data: Float32Array } {
  const [a, b, c, d] = param.shape;
  const out = new Float32Array(param.data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) for (let l = 0; l < d; l++) {
    out[((l * c + k) * a + i) * b + j] = param.data[((i * b + j) * c + k) * d + l];
  }
  return { dims: [d, c, a, b], data: out };
}

function param(params: Params, name: string, rank: number): Parameter {
  const found = params.get(name);
  if (!found || found.shape.length !== rank) {
    throw new OnnxModelError('MODEL_WEIGHTS', `weight ${name} is ${found ? `rank ${found.shape.length}` : 'missing'}, expected rank ${rank}`);
  }
  return found;
}

/** The layer's ONNX weight and bias constants, and its kernel side k (from the weight: [cout,cin,k,k]). */
function weights(b: GraphBuilder, params: Params, layer: string): [string, string, number] {
  const w = permute3201(param(params, `${layer}.w`, 4));
  const bias = param(params, `${layer}.b`, 1);
  return [b.constant(`${layer}.w`, w.dims, w.data), b.constant(`${layer}.b`, [bias.shape[0]], bias.data), w.dims[2]];
}

/** tfjs's 'same' convolution at stride 1 for odd k: (k − 1)/2 zeros on every side. */
function sameConv(k: number): Record<string, number[]> {
  const pad = (k - 1) / 2;
  return { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [1, 1] };
}

/** conv(h, layer), 'same' zero padding, stride 1, bias; ReLU when asked (ORT fuses Conv+Relu). */
function conv(b: GraphBuilder, params: Params, h: string, layer: string, relu: boolean, outputs?: string[]): string {
  const [w, bias, k] = weights(b, params, layer);
  const out = b.node('Conv', [h, w, bias], sameConv(k), relu ? undefined : outputs);
  return relu ? b.node('Relu', [out], {}, outputs) : out;
}

/** encoder(y): h = (y − mean)/std; per level relu∘conv twice then maxPool 2×2; μ = conv(h), log σ² = conv(h). */
export function addEncoder(b: GraphBuilder, params: Params, config: ModelConfig, norm: Normalisation, y: string,
  outputs: { mu: string; logvar: string }): void {
  const mean = b.constant('norm.mean', [], [norm.mean]);
  const std = b.constant('norm.std', [], [norm.std]);
  let h = b.node('Div', [b.node('Sub', [y, mean]), std]);
  for (let i = 0; i < config.depth; i++) {
    h = conv(b, params, h, `enc.${i}.conv0`, true);
    h = conv(b, params, h, `enc.${i}.conv1`, true);
    h = b.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] });
  }
  conv(b, params, h, 'enc.mu', false, [outputs.mu]);
  conv(b, params, h, 'enc.logvar', false, [outputs.logvar]);
}

/** z = μ + exp(½ log σ²) · ε (the reparameterisation; μ and log σ² broadcast over ε's batch). */
export function addReparameterisation(b: GraphBuilder, mu: string, logvar: string, eps: string): string {
  const half = b.constant('half', [], [0.5]);
  const sigma = b.node('Exp', [b.node('Mul', [logvar, half])]);
  return b.node('Add', [mu, b.node('Mul', [sigma, eps])]);
}

/** decoder(z): per level (deepest first) convTranspose 2×2/2 then relu∘conv twice; o = conv(h); t = o·std + mean. */
export function addDecoder(b: GraphBuilder, params: Params, config: ModelConfig, norm: Normalisation, z: string,
  output: string): void {
  let h = z;
  for (let i = config.depth - 1; i >= 0; i--) {
    const [w, bias] = weights(b, params, `dec.${i}.up`);
    h = b.node('ConvTranspose', [h, w, bias], { kernel_shape: [2, 2], strides: [2, 2] });
    h = conv(b, params, h, `dec.${i}.conv0`, true);
    h = conv(b, params, h, `dec.${i}.conv1`, true);
  }
  const o = conv(b, params, h, 'dec.out', false);
  if (config.output === 'softplus') {
    // x = c + k·softplus((t − c)/k), t = o·std + mean, k = SOFTPLUS_KNEE·std, c the data's offset (the model
    // contract's 'softplus' output, positive above the offset); (t − c)/k is folded into one Mul and one Add.
    const knee = SOFTPLUS_KNEE * norm.std;
    const offset = norm.offset ?? 0;
    const scale = b.constant('denorm.std_over_knee', [], [norm.std / knee]);
    const shift = b.constant('denorm.mean_over_knee', [], [(norm.mean - offset) / knee]);
    const softplus = b.node('Softplus', [b.node('Add', [b.node('Mul', [o, scale]), shift])]);
    if (offset === 0) {
      b.node('Mul', [softplus, b.constant('denorm.knee', [], [knee])], {}, [output]);
    } else {
      b.node('Add', [b.node('Mul', [softplus, b.constant('denorm.knee', [], [knee])]), b.constant('denorm.offset', [], [offset])], {}, [output]);
    }
  } else {
    const scale = b.constant('denorm.std', [], [norm.std]);
    const shift = b.constant('denorm.mean', [], [norm.mean]);
    b.node('Add', [b.node('Mul', [o, scale]), shift], {}, [output]);
  }
}
