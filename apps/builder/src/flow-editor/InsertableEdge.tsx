import { NODE_TYPES, NODE_REGISTRY } from '@nudgeflow/flow-schema';
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo, useState } from 'react';
import type { FlowEdgeData } from '../editor/diagram';
import { canInsertOnEdge } from '../editor/graph-edit';
import { useEditorActions } from './editor-actions';
import { useFarZoom } from './zoom';

export type FlowDiagramEdge = Edge<FlowEdgeData, 'flow'>;

const INSERTABLE = NODE_TYPES.filter((type) => canInsertOnEdge(type));

function InsertableEdgeImpl(props: EdgeProps<FlowDiagramEdge>) {
  const {
    id,
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
    data,
    selected,
    markerEnd,
  } = props;
  const { readOnly, insertOnEdge } = useEditorActions();
  const [open, setOpen] = useState(false);
  const far = useFarZoom();
  const [path, labelX, labelY] = getSmoothStepPath({
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
    borderRadius: 10,
  });
  const highlighted = data?.highlighted;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={{
          stroke: highlighted ? 'var(--success)' : selected ? 'var(--primary)' : '#98a2b8',
          strokeWidth: highlighted || selected ? 2.5 : 1.6,
        }}
      />
      {/* Zoomed far out the "+" is too small to use: leave it (and its portal) out until zoomed in. */}
      {(!far || open) && (
        <EdgeLabelRenderer>
          <div
            className="fedge__label nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {data?.count !== undefined && (
              <span
                className={`fedge__count${data.forecast ? ' fedge__count--forecast' : ''}`}
                title={data.forecast ? 'Forecast (backtest)' : undefined}
              >
                {data.count}
              </span>
            )}
            {!readOnly && (
              <button
                type="button"
                className="fedge__plus"
                aria-label={`Insert a step on the ${data?.handleLabel ?? ''} connection ${id}`}
                aria-expanded={open}
                onClick={() => setOpen((value) => !value)}
              >
                +
              </button>
            )}
            {open && (
              <div className="fedge__menu" role="menu" aria-label="Insert a step">
                {INSERTABLE.map((type) => (
                  <button
                    key={type}
                    type="button"
                    role="menuitem"
                    onClick={() => {
                      setOpen(false);
                      insertOnEdge(id, type);
                    }}
                    onKeyDown={(event) => {
                      if (event.key === 'Escape') setOpen(false);
                    }}
                  >
                    {NODE_REGISTRY[type].label}
                  </button>
                ))}
              </div>
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const InsertableEdge = memo(InsertableEdgeImpl);
