import { Foundation1764300000000 } from './1764300000000-foundation';
import { WebhookAttemptTries1764300660000 } from './1764300660000-webhook-attempt-tries';
import { Ingest1764300100000 } from './1764300100000-ingest';
import { IngestFastPath1764300100100 } from './1764300100100-ingest-fast-path';
import { IngestKeyLocks1764300100200 } from './1764300100200-ingest-key-locks';
import { IngestIndexProbes1764300100300 } from './1764300100300-ingest-index-probes';
import { DedupeWindow1764300850000 } from './1764300850000-dedupe-window';
import { Flows1764300200000 } from './1764300200000-flows';
import { Runtime1764300300000 } from './1764300300000-runtime';
import { RuntimeHandoffs1764300300100 } from './1764300300100-runtime-handoffs';
import { RuntimeRescues1764300300200 } from './1764300300200-runtime-rescues';
import { RuntimeWakeIndex1764300300300 } from './1764300300300-runtime-wake-index';
import { Webhooks1764300400000 } from './1764300400000-webhooks';
import { WebhookDueIndex1764300400100 } from './1764300400100-webhook-due-index';
import { Analytics1764300600000 } from './1764300600000-analytics';
import { AnalyticsDimsCovering1764300600100 } from './1764300600100-analytics-dims-covering';
import { AnalyticsFunnels1764300600200 } from './1764300600200-analytics-funnels';
import { AnalyticsDimsRefresh1764300600300 } from './1764300600300-analytics-dims-refresh';
import { AnalyticsLiveDeltas1764300600400 } from './1764300600400-analytics-live-deltas';
import { AccountSites1764300650000 } from './1764300650000-account-sites';
import { AnalyticsHllUnionCard1764300600500 } from './1764300600500-analytics-hll-union-card';
import { Onsite1764300500000 } from './1764300500000-onsite';
import { WebhookClaims1764300400200 } from './1764300400200-webhook-claims';
import { WebhookClaimsById1764300400300 } from './1764300400300-webhook-claims-by-id';
import { VisitorCtaLog1764300500100 } from './1764300500100-visitor-cta-log';
import { SessionRetiredTokens1764300700100 } from './1764300700100-session-retired-tokens';
import { EmailSenders1764300700200 } from './1764300700200-email-senders';
import { SmsProviders1764300900100 } from './1764300900100-sms-providers';
import { IngestFold1764300700300 } from './1764300700300-ingest-fold';
import { AnalyticsSiteWatermarks1764300800000 } from './1764300800000-analytics-site-watermarks';
import { IdentityVerification1764300800100 } from './1764300800100-identity-verification';
import { Backtests1764300900200 } from './1764300900200-backtests';
import { RunHoldout1764300900300 } from './1764300900300-run-holdout';
import { AnalyticsCompact1764300900400 } from './1764300900400-analytics-compact';
import { EventsTraitChanges1764300900500 } from './1764300900500-events-trait-changes';
import { AnalyticsPackedBreakdowns1764300900600 } from './1764300900600-analytics-packed-breakdowns';
import { AnalyticsIntCounts1764300900700 } from './1764300900700-analytics-int-counts';
import { AnalyticsBreakdownParts1764300900800 } from './1764300900800-analytics-breakdown-parts';
import { HandoffTsRange1764300900900 } from './1764300900900-handoff-ts-range';

/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS = [
  Foundation1764300000000,
  Ingest1764300100000,
  IngestFastPath1764300100100,
  Flows1764300200000,
  Runtime1764300300000,
  RuntimeHandoffs1764300300100,
  RuntimeRescues1764300300200,
  Webhooks1764300400000,
  WebhookDueIndex1764300400100,
  Onsite1764300500000,
  Analytics1764300600000,
  AnalyticsDimsCovering1764300600100,
  AnalyticsFunnels1764300600200,
  AnalyticsDimsRefresh1764300600300,
  AnalyticsLiveDeltas1764300600400,
  WebhookClaims1764300400200,
  VisitorCtaLog1764300500100,
  WebhookClaimsById1764300400300,
  RuntimeWakeIndex1764300300300,
  AnalyticsHllUnionCard1764300600500,
  AccountSites1764300650000,
  IngestKeyLocks1764300100200,
  IngestIndexProbes1764300100300,
  WebhookAttemptTries1764300660000,
  SessionRetiredTokens1764300700100,
  EmailSenders1764300700200,
  IngestFold1764300700300,
  DedupeWindow1764300850000,
  AnalyticsSiteWatermarks1764300800000,
  IdentityVerification1764300800100,
  SmsProviders1764300900100,
  Backtests1764300900200,
  RunHoldout1764300900300,
  AnalyticsCompact1764300900400,
  EventsTraitChanges1764300900500,
  AnalyticsPackedBreakdowns1764300900600,
  AnalyticsIntCounts1764300900700,
  AnalyticsBreakdownParts1764300900800,
  HandoffTsRange1764300900900,
];
