// Unit-test setup: pure code runs in Node on the TF.js CPU backend, with IndexedDB faked.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';

await tf.setBackend('cpu');
await tf.ready();
