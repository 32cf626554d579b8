/** Training of the classifiers (src/classify holds what prediction needs; nothing there imports this folder). */
export { trainForest, DEFAULT_FOREST_OPTIONS, FOREST_LIBRARY, type ForestOptions, type TrainForestOptions } from './forest-train.js';
export { trainLinear, trainLinearWithReport, DEFAULT_LINEAR_OPTIONS, type LinearOptions, type LinearFitReport } from './linear-train.js';
export { trainingFingerprint } from './training-set.js';
export { trainClassifier, crossValidate, crossValidateAll, TRAIN_KINDS, type TrainKind, type ModelKind, type TrainOptions, type TrainResult, type CvResult } from './train.js';
