/** `keras.callbacks`. */
export { Callback, type CallbackParams, type Logs, type PredictBatchLogs, type HookResult } from './callback.js';
export { CallbackList, type CallbackListOptions } from './callback_list.js';
export { MonitorCallback, type MonitorMode } from './monitor_callback.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model_checkpoint.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce_lr_on_plateau.js';
export { LearningRateScheduler, type Schedule } from './learning_rate_scheduler.js';
export { CSVLogger, type CSVLoggerOptions } from './csv_logger.js';
export { TerminateOnNaN } from './terminate_on_nan.js';
export { LambdaCallback, type LambdaCallbackOptions } from './lambda_callback.js';
export { BackupAndRestore, type BackupAndRestoreOptions } from './backup_and_restore.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard.js';
export { History } from './history.js';
export { ProgbarLogger } from './progbar_logger.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early_stopping.js';
