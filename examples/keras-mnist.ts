import * as keras from '@duet/keras';

const [[xTrain0, yTrain], [xTest0, yTest]] = await keras.datasets.mnist.loadData();
const xTrain = xTrain0.reshape([-1, 784]).div(255);
const xTest = xTest0.reshape([-1, 784]).div(255);
const model = new keras.Sequential([
  new keras.layers.Dense(128, { activation: 'relu' }),
  new keras.layers.Dense(10, { activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await model.fit(xTrain, yTrain, { epochs: 5 });
await model.evaluate(xTest, yTest);
