import { useParams } from 'react-router-dom';
import { roleAtLeast, type Me, type Role } from '../api/auth';
import { useMe } from './useMe';

export interface CurrentSite {
  siteId: string;
  site: Me['sites'][number] | undefined;
  role: Role | undefined;
  canEdit: boolean;
  isOwner: boolean;
  accountRole: Role | undefined;
}

/** The site in the URL, with the signed-in user's role on it (viewers see but never edit). */
export function useCurrentSite(): CurrentSite {
  const { siteId = '' } = useParams();
  const me = useMe().data;
  const site = me?.sites.find((candidate) => candidate.id === siteId);
  const role = site?.role;
  const accountRole = me?.accounts.find((account) => account.id === site?.accountId)?.role;
  return {
    siteId,
    site,
    role,
    canEdit: roleAtLeast(role, 'editor'),
    isOwner: roleAtLeast(role, 'owner'),
    accountRole,
  };
}
