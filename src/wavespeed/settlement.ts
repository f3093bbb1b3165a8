// Settling a generation's hold from the provider's answer (contract §11), shared by the webhook
// and the reconciliation: submitGeneration charged the most a generation may cost; when the
// result arrives, what it used goes to record_provider_result and the rest comes back.
//   - `creditsUsed(prediction)`, when the app gives it: e.g. seconds of video × credits per
//     second, or outputs delivered × credits per output.
//   - Without a figure from it (no option, or it returns null or undefined for this prediction):
//     the outputs delivered go with the result, and a task submitted with `outputs` (metadata
//     outputs_requested) is settled at hold × delivered ÷ requested, rounded down; any other at
//     its whole hold.
//   - A creditsUsed that throws or returns something that is not a whole number of credits from
//     0 to the hold settles the whole hold, and is logged. So is a second, different figure for a
//     task already settled (CR006): the provider reported two costs for one job, and the webhook
//     still answers 200, since another delivery cannot change it.
//   - An unitsOf that throws or returns no number from 0 to 1e9 records no units (the cost is
//     then unknown for a price per unit), and is logged: the result itself is never refused for it.
import type { Decimal, Sql } from '../client/runtime.js';
import { CreditsError, InvalidArgumentError } from '../errors.js';
import { type RecordProviderResultArgs, type RecordProviderResultResult, recordProviderResult } from '../generated/client.js';
import type { Prediction } from './api.js';

export interface SettlementOptions {
  /** What a completed prediction used, in credits (0 to the hold): the rest of the hold goes back; null or undefined: the outputs' rule. */
  creditsUsed?: (prediction: Prediction) => number | null | undefined;
  /** The units the provider reported (seconds, outputs, megapixels, 0 to 1e9), priced by provider_prices.unit. */
  unitsOf?: (prediction: Prediction) => Decimal | number | null | undefined;
  /** Where a settlement problem is told (default console.warn). */
  log?: (message: string, detail: Record<string, unknown>) => void;
}

/** What a final prediction is recorded with, but the settlement's figures (this module adds them). */
export type ProviderResultArgs = Omit<RecordProviderResultArgs, 'creditsUsed' | 'providerUnits' | 'outputsDelivered'>;

/** The outcome record_provider_result reports, or 'settlement_conflict' for a second, different figure (CR006). */
export type RecordedResult =
  | RecordProviderResultResult
  | (Omit<RecordProviderResultResult, 'outcome'> & { outcome: 'settlement_conflict' });

const warn = (message: string, detail: Record<string, unknown>) => console.warn(message, detail);

/** What creditsUsed says: a figure, none (the outputs' rule applies), or refused (the whole hold, logged). */
interface Figure {
  used?: number;
  refused: boolean;
}

function creditsUsedOf(options: SettlementOptions, prediction: Prediction, log: SettlementOptions['log'] & {}): Figure {
  if (!options.creditsUsed || prediction.status !== 'completed') return { refused: false };
  let used: unknown;
  try {
    used = options.creditsUsed(prediction);
  } catch (error) {
    log('creditsUsed threw: the whole hold is settled', { predictionId: prediction.id, error: (error as Error).message });
    return { refused: true };
  }
  if (used === null || used === undefined) return { refused: false };
  if (typeof used !== 'number' || !Number.isSafeInteger(used) || used < 0 || used > 2_147_483_647) {
    log('creditsUsed returned no whole number of credits: the whole hold is settled', {
      predictionId: prediction.id,
      creditsUsed: String(used),
    });
    return { refused: true };
  }
  return { used, refused: false };
}

/** The units unitsOf gives, as a decimal string, or undefined (none, or refused and logged). */
function unitsOf(options: SettlementOptions, prediction: Prediction, log: SettlementOptions['log'] & {}): Decimal | undefined {
  if (!options.unitsOf || prediction.status !== 'completed') return undefined;
  let units: unknown;
  try {
    units = options.unitsOf(prediction);
  } catch (error) {
    log('unitsOf threw: no units recorded', { predictionId: prediction.id, error: (error as Error).message });
    return undefined;
  }
  if (units === null || units === undefined) return undefined;
  const value = Number(units);
  if ((typeof units !== 'number' && typeof units !== 'string') || !Number.isFinite(value) || value < 0 || value > 1e9) {
    log('unitsOf returned no number of units from 0 to 1e9: no units recorded', { predictionId: prediction.id, units: String(units) });
    return undefined;
  }
  return String(units) as Decimal;
}

/**
 * Records a final prediction and settles its task's hold: the figure of creditsUsed (or the
 * outputs delivered), the units of unitsOf. A figure the ledger refuses as above the hold is
 * logged and the whole hold settled; a second, different figure is logged and reported as
 * 'settlement_conflict'. Other errors are the caller's (a cost outside 0..10000, the database).
 */
export async function recordSettled(
  sql: Sql,
  options: SettlementOptions,
  prediction: Prediction,
  args: ProviderResultArgs,
): Promise<RecordedResult> {
  const log = options.log ?? warn;
  const figure = creditsUsedOf(options, prediction, log);
  const creditsUsed = figure.used;
  const providerUnits = unitsOf(options, prediction, log);
  const settlement = {
    ...(creditsUsed !== undefined ? { creditsUsed } : {}),
    ...(providerUnits !== undefined ? { providerUnits } : {}),
    // the outputs' rule applies when the app gave no figure; a refused figure settles the whole hold
    ...(prediction.status === 'completed' && creditsUsed === undefined && !figure.refused
      ? { outputsDelivered: prediction.outputs.length }
      : {}),
  };
  try {
    return await recordProviderResult(sql, { ...args, ...settlement });
  } catch (error) {
    if (!(error instanceof CreditsError)) throw error;
    if (error instanceof InvalidArgumentError && creditsUsed !== undefined && error.parameter === 'creditsUsed') {
      log('creditsUsed is above the hold: the whole hold is settled', { predictionId: prediction.id, creditsUsed, reason: error.detail });
      return recordProviderResult(sql, { ...args, ...(providerUnits !== undefined ? { providerUnits } : {}) });
    }
    if (error.code === 'CR006') {
      log('the provider reported another figure for a settled generation: the first settlement stands', {
        predictionId: prediction.id,
        creditsUsed,
        reason: error.detail,
      });
      return { task_id: null, status: 'completed', outcome: 'settlement_conflict', credits_final: null, refunded_credits: null };
    }
    throw error;
  }
}
