// Limits of the model-file format that the page checks before handing a file to a worker. Kept
// free of TF.js so the page's main bundle can import them.

/** The largest model file the lab reads (512 MiB). */
export const DEFAULT_MAX_MODEL_FILE_BYTES = 512 * 2 ** 20;
