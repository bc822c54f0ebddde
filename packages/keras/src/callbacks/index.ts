/** `keras.callbacks`. */
export { Callback, type CallbackParams, type Logs, type HookResult } from './callback.js';
export { CallbackList, type CallbackListOptions } from './callback_list.js';
export { History } from './history.js';
export { ProgbarLogger } from './progbar_logger.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early_stopping.js';
