/** Datasets that read real files: MNIST, FashionMNIST (IDX), CSVDataset, ImageFolder. */
export { MNIST, FashionMNIST, loadMnistTensors, type MNISTOptions } from './mnist.js';
export { readIdx, parseIdx, type IdxArray, type IdxDType } from './idx.js';
export { CSVDataset, splitCsvLine, type CSVOptions } from './csv.js';
export { ImageFolder, IMG_EXTENSIONS, type ImageFolderOptions } from './image_folder.js';
