/**
 * The served model and how it is loaded: one loader per file extension, so a
 * new format is one more entry in LOADERS. `.safetensors` holds the state dict
 * of the MLP that `pnpm mnist` trains (examples/nn-mnist.ts); `.keras` is
 * reserved for the Keras front end (@duet/keras), which lands in another
 * branch: until then it fails with a clear "not supported in this build".
 */
import { extname } from 'node:path';
import { DuetError, type Tensor } from '@duet/core';
import { nn, load } from '@duet/nn';

/** Pixels per image (28 x 28 MNIST). */
export const INPUT_SIZE = 784;

/** What the server needs from a model: one forward pass from [rows, 784] pixels to [rows, classes] logits. */
export interface ServedModel {
  forward(x: Tensor): Tensor;
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

export type ModelLoadErrorCode = 'UNSUPPORTED_FORMAT' | 'UNKNOWN_EXTENSION' | 'LOAD_FAILED';

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
  throw new ModelLoadError(
    'UNSUPPORTED_FORMAT',
    `${path}: .keras files are not supported in this build: the Keras front end (@duet/keras) that reads them lands in another branch. ` +
      'Save the model\'s state dict as .safetensors (nn save()) and serve that.',
  );
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
