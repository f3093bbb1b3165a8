// pg-credits-ledger/wavespeed: the provider glue for WaveSpeed (docs/wavespeed.md). Submitting
// with a refund wherever the request fails, the signed webhook (Fetch and Express), and the
// signature check alone for an edge function that verifies before forwarding. No dependency
// beyond fetch, Web Crypto and the package's typed client.
export {
  parsePrediction,
  ProviderRequestError,
  WaveSpeedApi,
  type Prediction,
  type PredictionStatus,
  type WaveSpeedApiOptions,
} from './api.js';
export {
  maxSignatureEntries,
  verifyWebhookSignature,
  webhookHeaders,
  type WebhookRejection,
  type WebhookSignatureInput,
  type WebhookVerification,
} from './signature.js';
export {
  SubmissionNotRecordedError,
  SubmitFailedError,
  submitGeneration,
  type SubmitConfig,
  type SubmitGenerationInput,
  type SubmittedGeneration,
} from './submit.js';
export {
  handleWebhook,
  maxWebhookBytes,
  providerResult,
  wavespeedWebhookExpress,
  wavespeedWebhookRoute,
  type WebhookConfig,
  type WebhookOutcome,
} from './webhook.js';
export { recordSettled, type RecordedResult, type SettlementOptions } from './settlement.js';
export { reconcileGenerations, type ReconcileOptions, type ReconcileOutcome, type ReconcileReport } from './reconcile.js';
