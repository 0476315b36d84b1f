/**
 * Where a batch keeps its own blobs in the service's store (beside, not in, its output prefix): the uploaded
 * inputs, and each input page as a one-page float32 TIFF, so that a page job reads one page, not the whole stack.
 */
export const batchRoot = (batchId: string) => `batches/${batchId}/`;
export const uploadKey = (batchId: string, ordinal: number, name: string) => `${batchRoot(batchId)}inputs/${String(ordinal).padStart(4, '0')}-${name}.tif`;
export const inputPagesPrefix = (batchId: string) => `${batchRoot(batchId)}pages/`;
export const inputPageKey = (batchId: string, ordinal: number, page: number) =>
  `${inputPagesPrefix(batchId)}${String(ordinal).padStart(4, '0')}/p${String(page).padStart(4, '0')}.tif`;
