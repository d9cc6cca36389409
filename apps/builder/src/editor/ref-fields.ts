import { nodeRefs, type FlowNode, type RefKind } from '@nudgeflow/flow-schema';

export interface RefField {
  /** The config key holding the id, e.g. `ctaId`. */
  field: string;
  kind: RefKind;
}

export interface RefOption {
  value: string;
  label: string;
  /** Shown but not pickable (a disabled endpoint, an archived CTA). */
  disabled?: boolean;
}

/**
 * The config fields of a node that name another site resource, from the shared `nodeRefs` (so the
 * builder's pickers follow the same list the server checks on publish). Works on drafts whose config
 * does not parse yet: only the node's type decides.
 */
export function refFieldsOf(node: Pick<FlowNode, 'id' | 'type' | 'config'>): RefField[] {
  return nodeRefs({ ...node, config: { ...(node.config as object) } } as FlowNode).map((ref) => ({
    field: ref.path[ref.path.length - 1] ?? '',
    kind: ref.kind,
  }));
}

/**
 * Options of a picker: the resources of the site, plus the current value when it names none of them
 * (so a missing CTA or a deleted endpoint stays visible instead of silently changing).
 */
export function pickerOptions(options: RefOption[], current: unknown): RefOption[] {
  if (typeof current !== 'string' || current === '' || options.some((o) => o.value === current))
    return options;
  return [...options, { value: current, label: `${current} (not found in this site)`, disabled: true }];
}
