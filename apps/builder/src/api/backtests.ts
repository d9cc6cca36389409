/** Backtests of a flow (forecast over past events) and the flow's holdout lift (issue #24). */
import { api, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type Backtest = Schema<'Backtest'>;
export type BacktestResult = Schema<'BacktestResult'>;
export type FlowLift = Schema<'FlowLift'>;
export type StartBacktest = RequestBody<'/api/sites/{siteId}/flows/{flowId}/backtests', 'post'>;

const base = (siteId: string, flowId: string) => `/api/sites/${enc(siteId)}/flows/${enc(flowId)}`;

export const backtestsApi = {
  start: (siteId: string, flowId: string, input: StartBacktest) =>
    api.post<Backtest>(`${base(siteId, flowId)}/backtests`, input),
  list: (siteId: string, flowId: string) => api.get<Backtest[]>(`${base(siteId, flowId)}/backtests`),
  get: (siteId: string, flowId: string, id: string) =>
    api.get<Backtest>(`${base(siteId, flowId)}/backtests/${enc(id)}`),
  cancel: (siteId: string, flowId: string, id: string) =>
    api.delete<Backtest>(`${base(siteId, flowId)}/backtests/${enc(id)}`),
  lift: (siteId: string, flowId: string) => api.get<FlowLift>(`${base(siteId, flowId)}/lift`),
};

export const isRunning = (b: Pick<Backtest, 'status'>) => b.status === 'queued' || b.status === 'running';
