import { getCookie, setCookie, store, uuid } from './util';

const AID = 'nf_aid';
const UID = 'nf_uid';
const UHASH = 'nf_uh';
const YEAR = 365 * 24 * 3600;
const VALID_ID = /^[\w-]{8,64}$/;

/** Anonymous id in a first-party cookie (mirrored to localStorage) plus the identified user id. */
export class Identity {
  anonymousId = '';
  userId: string | null = store.get(UID);
  /** HMAC of the user id made by the site's server (identity verification); sent with it. */
  userHash: string | null = store.get(UHASH);

  constructor() {
    const saved = [getCookie(AID), store.get(AID)].filter((v): v is string => !!v && VALID_ID.test(v))[0];
    this.setAnonymousId(saved || uuid());
  }

  setUserId(userId: string, userHash?: string): void {
    if (userId !== this.userId || userHash) {
      this.userHash = userHash || null;
      store.set(UHASH, this.userHash);
    }
    this.userId = userId;
    store.set(UID, userId);
  }

  reset(): void {
    this.userId = this.userHash = null;
    store.set(UID, null);
    store.set(UHASH, null);
    this.setAnonymousId(uuid());
  }

  private setAnonymousId(id: string): void {
    this.anonymousId = id;
    setCookie(AID, id, YEAR);
    store.set(AID, id);
  }
}
