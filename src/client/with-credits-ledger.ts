// Your supabase-js Database type with the package's part in it. Once the package is migrated,
// `supabase gen types typescript` emits its functions and views too, in PostgREST's generic
// shape (every OUT column nullable, a record as an array of rows): an intersection
// `Database & CreditsLedgerDatabase` would then cross both shapes (`balance` typed on an array).
// WithCreditsLedger replaces those entries with the package's own and keeps everything else.
import type { CreditsLedgerDatabase } from '../generated/supabase.js';

type Ours = CreditsLedgerDatabase['public'];

/** The schema shape `supabase gen types typescript` writes, as far as this type reads it. */
interface GeneratedSchema {
  Views: object;
  Functions: object;
}

export type WithCreditsLedger<Database extends { public: GeneratedSchema }> = Omit<Database, 'public'> & {
  public: Omit<Database['public'], 'Views' | 'Functions'> & {
    Views: Omit<Database['public']['Views'], keyof Ours['Views']> & Ours['Views'];
    Functions: Omit<Database['public']['Functions'], keyof Ours['Functions']> & Ours['Functions'];
  };
};
