/**
 * The borough's contextual world: its places (places of concern, schools, youth centres, group
 * chats), its peer groups with their members over time, and the relationships beyond family that
 * police and youth workers record (friends, rivals, suspected exploiters). Children generated later
 * join the groups of earlier ones, so one incident can involve several families (the brief: "one
 * incident affects many children at once"), and networks cross borough lines where families move.
 *
 * Every row here draws from the network's own random stream, never a family's, so adding the
 * network left the rest of the world exactly as it was.
 */
import { NameMaker, type Sex } from './names.js';
import { makePostcode, postcodeArea } from './places.js';
import type { OrgRef, Partnership } from './partnership.js';
import { Rng, hashParts, isoDay, isoTime } from './random.js';
import type {
  WorldChunk, WorldEvent, WorldPeerGroup, WorldPeerGroupMember, WorldPeerRelationship, WorldPerson, WorldPersonName, WorldPersonPlace, WorldPlace,
} from './types.js';
import { type ChildState } from './history.js';


/** The kind of each place of concern, in the order `placesOfConcern` names them. */
const CONCERN_KINDS = ['estate', 'transport_hub', 'other', 'other', 'park', 'shop', 'other', 'shop', 'park', 'other', 'estate', 'park'] as const;
const WARDS = ['North', 'Central', 'Riverside', 'East', 'West', 'South'] as const;
const PLATFORMS = ['Snapchat', 'Instagram', 'TikTok', 'Telegram'] as const;
const CHAT_WORDS = ['crew', 'mandem', 'squad', 'gang chat', 'block', 'ends', 'link up', 'the lot'] as const;

/** Share of new groups with a group chat the police or youth workers know of. */
const GROUP_CHAT = 0.45;
/** Friends a child is recorded with when joining a group (at most). */
const FRIENDS_ON_JOINING = 2;
/** Share of rivalries with a group of a neighbouring borough generated earlier (when it has groups). */
const CROSS_BOROUGH_RIVAL = 0.25;
/** Adults suspected of exploiting children, per borough (reused across groups, as exploiters work several). */
const EXPLOITERS_PER_BOROUGH = 6;

/** A peer group member, remembered across families so network links can reach earlier children. */
interface PeerMember {
  personId: string;
  dob: number;
}

/** A group of adolescents who spend time together, with the place they are most often seen. */
export interface PeerGroup {
  id: string;
  members: PeerMember[];
  capacity: number;
  place: string;
  /** The group chat, if one is known. */
  chatPlaceId: string | null;
}

/** The rows the network made since it was last drained into a chunk. */
type Pending = Pick<WorldChunk, 'people' | 'personNames' | 'places' | 'eventPlaces' | 'personPlaces' | 'peerGroups' | 'peerGroupMembers' | 'peerRelationships'>;

function emptyPending(): Pending {
  return { people: [], personNames: [], places: [], eventPlaces: [], personPlaces: [], peerGroups: [], peerGroupMembers: [], peerRelationships: [] };
}

/**
 * Friendships, rivalries and places across the borough: the generator's contextual world, and the
 * rows that record it.
 */
export class PeerNetwork {
  readonly #groups: PeerGroup[] = [];
  readonly #rng: Rng;
  readonly #names = new NameMaker();
  readonly #placeIds = new Map<string, string>(); // place of concern name -> place id
  readonly #orgPlaces = new Map<string, string>(); // school / youth centre organisation id -> place id
  readonly #exploiters: string[] = [];
  readonly #police: OrgRef | undefined;
  #pending: Pending = emptyPending();
  #groupCount = 0;

  /**
   * `neighbours`: the networks of the region's boroughs generated before this one (their groups are
   * final by then, so a world is the same whatever its chunk size).
   */
  constructor(private readonly partnership: Partnership, seed = 0, private readonly neighbours: readonly PeerNetwork[] = []) {
    this.#rng = new Rng(seed, partnership.slug, 'network');
    this.#names.reseed(hashParts(seed, partnership.slug, 'network-names')[0], this.#rng);
    this.#police = partnership.orgOf(partnership.borough, 'police');
    const recorder = this.#police?.id ?? partnership.organisations[0]?.id ?? '';
    const area = postcodeArea(partnership.borough);
    partnership.places.forEach((name, i) => {
      const id = this.#rng.uuid();
      this.#placeIds.set(name, id);
      this.#pending.places.push(this.#place(id, CONCERN_KINDS[i] ?? 'other', name, makePostcode(this.#rng, area), recorder));
    });
    for (const org of partnership.organisations) {
      if (org.kind !== 'school' && org.kind !== 'youth_centre') continue;
      const id = this.#rng.uuid();
      this.#orgPlaces.set(org.id, id);
      this.#pending.places.push({ ...this.#place(id, org.kind, org.name, makePostcode(this.#rng, postcodeArea(org.borough)), org.id), borough: org.borough });
    }
  }

  #place(id: string, kind: WorldPlace['kind'], name: string, postcode: string | null, recorder: string): WorldPlace {
    return {
      id, kind, name, postcode, ward: `${this.partnership.borough} ${this.#rng.pick(WARDS)}`, borough: this.partnership.borough,
      platform: null, handle: null, recorded_by_organisation_id: recorder, created_at: this.partnership.createdAt,
    };
  }

  /** A chance drawn from the network's own stream. */
  chance(p: number): boolean {
    return this.#rng.chance(p);
  }

  /** A place of concern, most often one of the few where harm concentrates (drawn from the caller's stream). */
  place(rng: Rng): string {
    const p = this.partnership;
    return rng.weighted(p.places.map((name, i) => [name, p.placeWeights[i]!] as const));
  }

  /** Finds an open group of children of a similar age, or starts a new one. */
  join(child: ChildState, rng: Rng, joinExisting: number): PeerGroup {
    const open = this.#groups.filter((g) => g.members.length < g.capacity && g.members.every((m) => Math.abs(m.dob - child.dob) < 2.5 * 365));
    if (open.length && rng.chance(joinExisting)) return rng.pick(open);
    const group: PeerGroup = { id: this.#rng.uuid(), members: [], capacity: rng.int(3, 7), place: this.place(rng), chatPlaceId: null };
    this.#groupCount += 1;
    this.#pending.peerGroups.push({
      id: group.id, name: `${group.place} group ${this.#groupCount}`, borough: this.partnership.borough,
      description: `Young people seen together around ${group.place}.`, recorded_by_organisation_id: this.#recorder(), created_at: this.partnership.createdAt,
    });
    if (this.#rng.chance(GROUP_CHAT)) {
      const id = this.#rng.uuid();
      group.chatPlaceId = id;
      this.#pending.places.push({
        ...this.#place(id, 'online', `Group chat: ${this.#rng.pick(CHAT_WORDS)}`, null, this.#recorder()), ward: null,
        platform: this.#rng.pick(PLATFORMS), handle: `${this.#rng.pick(CHAT_WORDS).replace(/\s+/g, '')}${this.#rng.digits(3)}`,
      });
    }
    this.#groups.push(group);
    // Only recent groups stay open, which keeps memory flat at any borough size.
    if (this.#groups.length > 80) this.#groups.shift();
    return group;
  }

  /** A child in another group (a rival), if there is one: now and then a group of a neighbouring borough. */
  rival(group: PeerGroup, rng: Rng): PeerMember | undefined {
    const others = this.#groups.filter((g) => g !== group && g.members.length > 0);
    if (!others.length) return undefined;
    const across = this.neighbours.flatMap((n) => n.groupsWithMembers());
    const pool = across.length && this.#rng.chance(CROSS_BOROUGH_RIVAL) ? across : others;
    return rng.pick(rng.pick(pool).members);
  }

  /** The groups still open to new members that have members. */
  groupsWithMembers(): PeerGroup[] {
    return this.#groups.filter((g) => g.members.length > 0);
  }

  /**
   * Adds a child to a group once their history is made: the membership (sourced from the entry that
   * first saw them with the group, when there is one), the group's place they frequent, the group chat,
   * and friendships with up to two members already in it.
   */
  enrol(group: PeerGroup, child: ChildState, from: number, evidence: WorldEvent | null): void {
    const rng = this.#rng;
    const validFrom = isoDay(Math.min(from, this.partnership.refDay - 1));
    const recorder = evidence?.organisation_id ?? this.#recorder();
    this.#pending.peerGroupMembers.push({
      id: rng.uuid(), group_id: group.id, person_id: child.id, source_event_id: evidence?.id ?? null, recorded_by_organisation_id: recorder,
      grading: evidence ? null : rng.pick(['2B', '3B', '3C']), valid_from: validFrom, valid_to: null,
    } satisfies WorldPeerGroupMember);
    const placeId = this.#placeIds.get(group.place);
    if (placeId) this.#personPlace(child.id, placeId, 'frequents', evidence?.place === group.place ? evidence : null, recorder, validFrom);
    if (group.chatPlaceId && rng.chance(0.8)) this.#personPlace(child.id, group.chatPlaceId, 'member', null, this.#recorder(), validFrom);
    for (const friend of rng.shuffle(group.members).slice(0, rng.int(0, FRIENDS_ON_JOINING))) {
      this.relate(child.id, friend.personId, 'friend', null, this.#recorder(), from, rng.pick(['2B', '2C', '3B']));
    }
    group.members.push({ personId: child.id, dob: child.dob });
  }

  /** A relationship beyond family, from its source entry (when it has one) or recorded by an organisation. */
  relate(personId: string, relatedId: string, kind: string, source: WorldEvent | null, recorder: string, from: number, grading: string | null): void {
    if (personId === relatedId) return;
    this.#pending.peerRelationships.push({
      id: this.#rng.uuid(), person_id: personId, related_person_id: relatedId, kind, valid_from: isoDay(Math.min(from, this.partnership.refDay - 1)), valid_to: null,
      source_event_id: source?.id ?? null, recorded_by_organisation_id: source?.organisation_id ?? recorder, grading,
      sensitivity: source?.sensitivity === 'restricted' ? 'restricted' : 'standard', recorded_at: source?.recorded_at ?? this.partnership.createdAt,
    } satisfies WorldPeerRelationship);
  }

  /** An adult the police suspect of exploiting children in the borough (one of a few, made the first time each is needed). */
  exploiter(): string {
    const rng = this.#rng;
    if (this.#exploiters.length < EXPLOITERS_PER_BOROUGH && (this.#exploiters.length === 0 || rng.chance(0.35))) {
      const id = rng.uuid();
      const sex: Sex = rng.chance(0.9) ? 'male' : 'female';
      const dob = this.partnership.refDay - rng.int(19 * 365, 29 * 365);
      this.#pending.people.push({ id, date_of_birth: isoDay(dob), dob_accuracy: 'exact', sex, ethnicity: null, created_at: isoTime(this.partnership.refDay - rng.int(30, 900)), created_by_organisation_id: this.#recorder() } satisfies WorldPerson);
      this.#pending.personNames.push({
        id: rng.uuid(), person_id: id, kind: 'legal', given_names: this.#names.given(sex, null), family_name: this.#names.family(null),
        valid_from: null, valid_to: null, recorded_by_organisation_id: this.#recorder(),
      } satisfies WorldPersonName);
      this.#exploiters.push(id);
      return id;
    }
    return rng.pick(this.#exploiters);
  }

  /**
   * A family's places once its entries are made: where each entry happened (when it names one of the
   * borough's places), each child's schools over time, and the youth centre a child attends.
   */
  placeFamily(children: readonly ChildState[], events: readonly WorldEvent[]): void {
    for (const e of events) {
      const placeId = e.place ? this.#placeIds.get(e.place) : undefined;
      if (placeId) this.#pending.eventPlaces.push({ event_id: e.id, place_id: placeId });
    }
    for (const child of children) {
      for (const s of child.schools) {
        const placeId = this.#orgPlaces.get(s.org.id);
        if (!placeId || s.from >= this.partnership.refDay) continue;
        this.#personPlace(child.id, placeId, 'enrolled', null, s.org.id, isoDay(s.from), s.to >= this.partnership.refDay ? null : isoDay(s.to));
      }
      const attended = new Set<string>();
      for (const e of child.events) {
        const placeId = this.#orgPlaces.get(e.organisation_id);
        if (!placeId || attended.has(placeId) || e.supersedes || !(e.event_type_code === 'youth_club_attendance' || e.event_type_code === 'positive_activity')) continue;
        attended.add(placeId);
        this.#personPlace(child.id, placeId, 'attends', e, e.organisation_id, e.occurred_at.slice(0, 10));
      }
    }
  }

  #personPlace(personId: string, placeId: string, kind: WorldPersonPlace['kind'], source: WorldEvent | null, recorder: string, from: string, to: string | null = null): void {
    this.#pending.personPlaces.push({
      id: this.#rng.uuid(), person_id: personId, place_id: placeId, kind, source_event_id: source?.id ?? null, recorded_by_organisation_id: recorder,
      grading: source ? null : kind === 'enrolled' ? null : '2B', valid_from: from, valid_to: to,
    } satisfies WorldPersonPlace);
  }

  #recorder(): string {
    return this.#police?.id ?? this.partnership.organisations[0]?.id ?? '';
  }

  /** Moves the rows made since the last call into a chunk. */
  drainInto(chunk: WorldChunk): void {
    const p = this.#pending;
    chunk.people.push(...p.people);
    chunk.personNames.push(...p.personNames);
    chunk.places.push(...p.places);
    chunk.eventPlaces.push(...p.eventPlaces);
    chunk.personPlaces.push(...p.personPlaces);
    chunk.peerGroups.push(...p.peerGroups);
    chunk.peerGroupMembers.push(...p.peerGroupMembers);
    chunk.peerRelationships.push(...p.peerRelationships);
    this.#pending = emptyPending();
  }
}
