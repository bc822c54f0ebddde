/**
 * The served model and how it is loaded: one loader per file extension, so a
 * new format is one more entry in LOADERS. `.safetensors` holds the state dict
 * of the MLP that `pnpm mnist` trains (examples/nn-mnist.ts); `.keras` is a
 * Keras 3 model file (the seed's Keras program saved with `model.save()`, or
 * one written by Python Keras), loaded with `keras.models.loadModel`.
 */
import { extname } from 'node:path';
import { DuetError, type Tensor } from '@duet/core';
import { nn, load } from '@duet/nn';
import * as keras from '@duet/keras';

/** Pixels per image (28 x 28 MNIST). */
export const INPUT_SIZE = 784;

/**
 * What the server needs from a model: one forward pass from [rows, 784]
 * pixels to [rows, classes] logits, or to probabilities when
 * `outputsProbabilities` (a Keras model ending in softmax).
 */
export interface ServedModel {
  forward(x: Tensor): Tensor;
  readonly outputsProbabilities?: boolean;
}

/** The MLP of the PyTorch tutorial, as examples/nn-mnist.ts trains and saves it. */
export class MnistMLP extends nn.Module {
  fc1 = new nn.Linear(INPUT_SIZE, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

export type ModelLoadErrorCode = 'UNKNOWN_EXTENSION' | 'LOAD_FAILED';

/** A model file could not be turned into a model; `code` says why, `cause` holds the underlying error. */
export class ModelLoadError extends DuetError {
  declare readonly code: ModelLoadErrorCode;
  constructor(code: ModelLoadErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Reads a file into a ready-to-serve model (weights loaded, eval mode). */
export type ModelLoader = (path: string) => Promise<ServedModel>;

async function loadSafetensorsMLP(path: string): Promise<ServedModel> {
  const model = new MnistMLP();
  try {
    model.loadStateDict(await load(path)); // strict: missing or extra keys and wrong shapes are errors
  } catch (e) {
    throw new ModelLoadError(
      'LOAD_FAILED',
      `Could not load ${path} as the MNIST MLP (expected the state dict that \`pnpm mnist\` saves: fc1.weight [128, 784], fc1.bias [128], fc2.weight [10, 128], fc2.bias [10]): ${(e as Error).message}`,
      { cause: e },
    );
  }
  model.eval();
  return model;
}

async function loadKeras(path: string): Promise<ServedModel> {
  let model: keras.Model;
  try {
    model = await keras.models.loadModel(path);
  } catch (e) {
    throw new ModelLoadError('LOAD_FAILED', `Could not load ${path} as a Keras model: ${(e as Error).message}`, { cause: e });
  }
  const inShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || inShape === undefined || inShape[inShape.length - 1] !== INPUT_SIZE) {
    throw new ModelLoadError(
      'LOAD_FAILED',
      `Could not serve ${path}: expected a Keras model with one input of shape [batch, ${INPUT_SIZE}], received ${model.inputs.length} input(s)` +
        (inShape === undefined ? '.' : ` of shape [${inShape.map((d) => d ?? 'batch').join(', ')}].`),
    );
  }
  const last = model.layers[model.layers.length - 1];
  const outputsProbabilities = (last?.getConfig() as { activation?: unknown } | undefined)?.activation === 'softmax';
  return { forward: (x: Tensor) => model.apply(x, { training: false }) as Tensor, outputsProbabilities };
}

/** Extension (lower case, with the dot) -> loader. Add a format by adding an entry. */
export const LOADERS: Readonly<Record<string, ModelLoader>> = {
  '.safetensors': loadSafetensorsMLP,
  '.keras': loadKeras,
};

/** Loads a model file with the loader for its extension. Throws ModelLoadError. */
export async function loadModel(path: string, loaders: Readonly<Record<string, ModelLoader>> = LOADERS): Promise<ServedModel> {
  const ext = extname(path).toLowerCase();
  const loader = loaders[ext];
  if (loader === undefined) {
    throw new ModelLoadError(
      'UNKNOWN_EXTENSION',
      `Cannot serve ${path}: expected a model file ending in ${Object.keys(loaders).join(' or ')}, received "${ext || '(no extension)'}".`,
    );
  }
  return loader(path);
}
