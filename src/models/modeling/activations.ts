/** transformers' ACT2FN for the activation names configs use. */
import type { Tensor } from '../../torch/index.js';
import { LenguaError } from '../../errors.js';

export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return (x) => x.gelu('none');
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      // Same formula: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      return (x) => x.gelu('tanh');
    case 'quick_gelu':
      return (x) => x.mul(x.mul(1.702).sigmoid());
    case 'relu':
      return (x) => x.relu();
    case 'silu':
    case 'swish':
      return (x) => x.mul(x.sigmoid());
    case 'tanh':
      return (x) => x.tanh();
    case 'sigmoid':
      return (x) => x.sigmoid();
    case 'linear':
      return (x) => x;
    default:
      throw new LenguaError(`unsupported activation ${JSON.stringify(name)}`, { field: 'activation' });
  }
}
