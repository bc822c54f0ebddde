/**
 * The small CNN the Keras benchmarks train (cnn.ts, cnn_kernels.ts,
 * tfjs_layers.ts): Conv2D 32 -> MaxPooling2D -> Conv2D 64 -> MaxPooling2D ->
 * Flatten -> Dense 128 -> Dense 10, on [28, 28, 1] images, compiled with
 * Adam, sparse categorical crossentropy and accuracy (Keras's defaults), as
 * bench/keras/cnn.py builds it in Python.
 */
import * as keras from '@duet/keras';

export function kerasCnn(): keras.Sequential {
  const L = keras.layers;
  const m = new keras.Sequential([
    keras.Input({ shape: [28, 28, 1] }),
    new L.Conv2D(32, 3, { activation: 'relu' }), new L.MaxPooling2D(),
    new L.Conv2D(64, 3, { activation: 'relu' }), new L.MaxPooling2D(),
    new L.Flatten(), new L.Dense(128, { activation: 'relu' }), new L.Dense(10, { activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}
