import { useQuery } from '@tanstack/react-query';
import { backtestsApi } from '../api/backtests';

const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`;
const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;

/** The holdout's measured lift, per published version: treated vs held-out goal conversion. */
export function LiftPanel({ siteId, flowId }: { siteId: string; flowId: string }) {
  const lift = useQuery({
    queryKey: ['flow-lift', siteId, flowId],
    queryFn: () => backtestsApi.lift(siteId, flowId),
    refetchInterval: 15_000,
  });
  if (!lift.data) return null;
  const versions = lift.data.versions.filter((v) => v.holdoutPercent > 0 || v.heldOut.visitors > 0);
  return (
    <section className="stack small" aria-label="Holdout lift">
      <h3>Lift (holdout)</h3>
      {versions.length === 0 ? (
        <p className="muted">
          Set “holdout percent” above and publish: that share of enrolled visitors is recorded but gets no
          action, and their goal conversion is compared with the others here.
        </p>
      ) : (
        versions.map((v) => (
          <div key={v.version} className="stack" data-testid={`lift-v${v.version}`}>
            <strong>
              Version {v.version} · {v.holdoutPercent} % held out
            </strong>
            <span>
              Treated {pct(v.treated.rate)} ({v.treated.converted}/{v.treated.visitors}) vs held out{' '}
              {pct(v.heldOut.rate)} ({v.heldOut.converted}/{v.heldOut.visitors})
            </span>
            {v.absolute ? (
              <span>
                Lift {points(v.absolute.value)} (95 % interval {points(v.absolute.low)} to{' '}
                {points(v.absolute.high)})
                {v.relative
                  ? `, relative ${pct(v.relative.value, 0)} (${pct(v.relative.low, 0)} to ${pct(v.relative.high, 0)})`
                  : ''}
                {v.pValue !== null ? `, p = ${v.pValue < 0.001 ? '< 0.001' : v.pValue.toFixed(3)}` : ''}
              </span>
            ) : (
              <span className="muted">Not enough visitors in both groups yet.</span>
            )}
          </div>
        ))
      )}
      <p className="muted">{lift.data.test}</p>
    </section>
  );
}
