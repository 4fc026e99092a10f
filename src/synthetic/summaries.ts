/**
 * Short plain-English summaries and occasional narratives for synthetic entries,
 * written the way practitioners write them. They never contain a name: people are
 * "the child", "mother", "a friend", so nothing resembles a real record.
 */
import type { Rng } from './random.js';

/** Values a template may use; anything not given is drawn from the pools below. */
export type SummaryVars = Partial<Record<'days' | 'place' | 'weapon' | 'appointment' | 'injury' | 'hours' | 'service' | 'outcome' | 'borough' | 'referrer' | 'count', string | number>>;

const POOLS: Readonly<Record<string, readonly string[]>> = {
  days: ['1', '2', '3', '5'],
  weapon: ['a kitchen knife', 'a lock knife', 'a bladed article', 'a knuckleduster', 'an imitation firearm'],
  appointment: ['speech and language therapy', 'a paediatric review', 'a dental check', 'immunisations', 'an audiology appointment', 'an eye test', 'an asthma review'],
  injury: ['a cut to the hand', 'facial bruising', 'a head injury', 'a suspected broken wrist', 'bruising to the ribs'],
  hours: ['6', '14', '20', '30', '48'],
  service: ['mentoring', 'a boxing programme', 'a music project', 'football coaching', 'a youth leadership course'],
  outcome: ['a referral order', 'a youth rehabilitation order', 'a conditional discharge', 'a fine'],
  place: ['the local area'],
  borough: ['another borough'],
  referrer: ['a partner agency'],
  count: ['2', '3', '4'],
};

const T: Readonly<Record<string, readonly string[]>> = {
  permanent_exclusion: ['Permanently excluded after a serious incident in school.', 'Permanent exclusion following repeated disruptive behaviour and a fight.'],
  suspension: ['Suspended for {days} days after a fight at break time.', 'Suspended for {days} days for verbal abuse of a member of staff.', 'Suspended for {days} days after leaving school without permission.'],
  attendance_concern: ['Attendance below 85% this term; letters sent home.', 'Persistent absence: attendance around 70% this half term.', 'Frequently late and missing afternoon registration.'],
  part_time_timetable: ['Placed on a reduced timetable of mornings only, to be reviewed in six weeks.'],
  move_to_alternative_provision: ['Started at the pupil referral unit.', 'Placed in alternative provision following exclusion.'],
  managed_move: ['Managed move to another secondary school agreed with the family.'],
  school_move: ['Joined a new school after the family moved.', 'Changed school mid-year.'],
  child_missing_education: ['Not on any school roll; education welfare officer informed.'],
  elective_home_education: ['Parent notified the school of elective home education.'],
  send_assessment_requested: ['School requested an education, health and care needs assessment.', 'EHC needs assessment requested: concerns about learning and behaviour.'],
  ehc_plan_issued: ['Education, health and care plan issued.'],
  neet: ['Not in education, employment or training since leaving school.'],
  education_engagement_noted: ['Attending well and engaging in lessons; teachers report progress.'],
  was_not_brought: ['Was not brought to {appointment}.', 'Not brought to {appointment}; second missed appointment.', 'Did not attend {appointment}; family not contactable.'],
  ae_attendance_injury: ['Attended A&E with {injury}; said it happened playing football.', 'Attended A&E with {injury} after an assault in {place}.'],
  ae_attendance_stab_wound: ['Attended A&E with a stab wound to the leg.', 'Brought to A&E by friends with a stab wound to the back; admitted.'],
  ae_attendance_intoxication: ['Attended A&E intoxicated; brought in by ambulance from {place}.'],
  self_harm_presentation: ['Presented with superficial self-inflicted cuts to the arm.', 'Disclosed self-harm to school staff; safety plan made.'],
  camhs_referral: ['Referred to CAMHS for low mood and anger.', 'Referred to CAMHS: sleep problems and anxiety.'],
  speech_language_need_identified: ['Speech and language need identified; referred for therapy.', 'Delayed speech noted at the two-year review.'],
  adhd_diagnosis: ['Diagnosed with ADHD following assessment.'],
  autism_diagnosis: ['Diagnosed with autism following multi-disciplinary assessment.'],
  substance_misuse_referral: ['Referred to the young people\'s drug and alcohol service for cannabis use.'],
  missing_episode: ['Reported missing by a parent; found {hours} hours later in {place}.', 'Missing overnight; returned home by themselves after {hours} hours.', 'Reported missing from home; located by police in {borough}.'],
  police_welfare_concern: ['Police welfare concern: found out late at night in {place}.', 'Welfare concern raised after a call from a neighbour.'],
  stop_and_search: ['Stopped and searched in {place}; nothing found.', 'Stopped and searched in {place}; small amount of cannabis found.', 'Stopped and searched with a group in {place}; no further action.'],
  arrest: ['Arrested on suspicion of robbery.', 'Arrested on suspicion of possession with intent to supply.'],
  weapon_incident: ['Found in possession of {weapon} in {place}.', 'Reported to be carrying {weapon}; search found nothing.'],
  'weapon_incident@school': ['{weapon} found in school bag; police called.', 'Told staff a friend was carrying {weapon}; police informed.'],
  victim_of_crime: ['Victim of a phone robbery in {place}.', 'Victim of an assault on the way home from school.'],
  victim_of_serious_violence: ['Victim of a serious assault in {place}.', 'Stabbed in {place}; suspects known to the child.'],
  witness_to_serious_violence: ['Witnessed a stabbing in {place}.', 'Present when a friend was seriously assaulted in {place}.'],
  suspect_in_offence: ['Named as a suspect in a robbery in {place}.', 'Suspect in an assault; interviewed with an appropriate adult.'],
  charged: ['Charged with possession of a bladed article.', 'Charged with robbery.'],
  released_under_investigation: ['Released under investigation pending further enquiries.'],
  anti_social_behaviour_warning: ['Anti-social behaviour warning for gathering in {place}.'],
  referral_to_childrens_social_care: ['Referral to children\'s social care from {referrer}.', 'Referral made to the front door with concerns about safety at home.'],
  referral_to_early_help: ['Referral to early help from {referrer}.', 'Family referred to early help for support with routines and school attendance.'],
  assessment_started: ['Assessment started.', 'Child and family assessment started.'],
  assessment_completed: ['Assessment completed: needs identified, plan recommended.', 'Assessment completed.'],
  section_47_enquiry: ['Child protection enquiry started.'],
  strategy_meeting: ['Strategy meeting held with police, health and school.', 'Strategy meeting held; school not invited.'],
  early_help_plan_started: ['Early help plan agreed with the family.'],
  early_help_plan_ended: ['Early help plan ended: goals met.', 'Early help plan ended: family no longer wished to engage.'],
  child_in_need_plan_started: ['Child in need plan started.'],
  child_in_need_plan_ended: ['Child in need plan ended.'],
  child_protection_plan_started: ['Child protection plan started under the category of neglect.', 'Child protection plan started under the category of emotional abuse.'],
  child_protection_plan_ended: ['Child protection plan ended.'],
  became_looked_after: ['Became looked after; placed with foster carers.', 'Became looked after and placed in a residential children\'s home.'],
  ceased_looked_after: ['Returned home; no longer looked after.'],
  placement_move: ['Placement moved to another foster carer.', 'Moved to a residential placement out of borough.'],
  return_home_interview: ['Return home interview completed; the child spoke about where they had been.', 'Return home interview offered; the child declined to talk.'],
  nrm_referral: ['Referral to the National Referral Mechanism for suspected criminal exploitation.'],
  nrm_decision: ['National Referral Mechanism: reasonable grounds decision received.', 'National Referral Mechanism: conclusive grounds decision received.'],
  allocated_worker_changed: ['Allocated worker changed.', 'New allocated worker; previous worker left the team.'],
  case_transferred_between_boroughs: ['Case transferred to {borough} children\'s services after the family moved.'],
  case_closed: ['Case closed.', 'Case closed: no further role for the service.'],
  out_of_court_disposal: ['Youth caution given.', 'Outcome 22 deferred prosecution: engagement with the youth justice service.'],
  court_outcome: ['Appeared at the youth court; sentenced to {outcome}.'],
  youth_justice_order: ['Youth justice order started; weekly appointments.'],
  custody: ['Remanded to youth detention accommodation.'],
  release_from_custody: ['Released from custody; licence conditions explained.'],
  youth_justice_prevention_started: ['Prevention work started with the youth justice service.'],
  change_of_address: ['Family moved to a new address in the borough.', 'Change of address notified.'],
  move_to_another_borough: ['Family moved to {borough}.', 'Family moved out of the borough to {borough}.'],
  relocation_for_safety: ['Family relocated to {borough} for safety after threats to the child.'],
  temporary_accommodation: ['Family placed in temporary accommodation.', 'Family placed in a hostel room after losing their tenancy.'],
  eviction_or_homelessness: ['Family evicted for rent arrears; presented as homeless.'],
  overcrowding: ['Overcrowding: family of {count} children in a one-bedroom flat.'],
  domestic_abuse_notification: ['Police called to a domestic incident at the home; children present.', 'Domestic abuse incident reported; mother assaulted by partner.'],
  'domestic_abuse_notification@school': ['School notified of a domestic abuse incident at home last night.', 'Notification received of police attendance at the home overnight; child seen by the DSL.'],
  'domestic_abuse_notification@childrens_social_care': ['Domestic abuse notification received from police; risk assessment requested.'],
  parental_substance_misuse: ['Parent\'s alcohol use is affecting care of the children.', 'Parent engaged with drug treatment service.'],
  parental_mental_health_concern: ['Mother\'s mental health has deteriorated; GP reviewing medication.', 'Parent admitted to hospital under the Mental Health Act.'],
  parent_in_custody: ['Father sentenced to a term of imprisonment.'],
  relative_involved_in_crime: ['Older relative known to police for violent offences.', 'Relative arrested for supplying drugs.'],
  young_carer_identified: ['Identified as a young carer for a parent.'],
  bereavement_through_violence: ['A close friend was killed in a stabbing.', 'An older cousin died after a shooting.'],
  financial_hardship_identified: ['Family struggling with food and energy costs; food bank vouchers given.', 'Family in rent arrears and without money for school uniform.'],
  child_to_parent_violence: ['Mother reported being pushed and threatened by the child.'],
  supportive_family_member_identified: ['Grandmother identified as a supportive adult the child trusts.'],
  criminal_exploitation_concern: ['Concern the child is being used to carry drugs; unexplained money and phones.', 'Found with a second phone and new clothes; concern about criminal exploitation.'],
  sexual_exploitation_concern: ['Concern about relationships with older males and gifts received.', 'Seen getting into cars with unknown adults; concern about sexual exploitation.'],
  county_lines_concern: ['Found in a town outside London with cash and drugs; county lines concern.', 'Travel tickets found suggesting trips out of London; county lines concern.'],
  group_violence_association_concern: ['Intelligence links the child to a group involved in violence in {place}.'],
  seen_with_peers_of_concern: ['Seen with peers of concern in {place}.', 'Seen with older young people known to police in {place}.'],
  seen_in_place_of_concern: ['Seen late in the evening at {place}.', 'Seen repeatedly at {place}.'],
  youth_club_attendance: ['Attended youth club sessions this month.', 'Regular attender at the youth centre\'s evening sessions.'],
  outreach_contact: ['Detached youth workers spoke with the child in {place}.'],
  mentoring_started: ['Started {service} with a mentor.', 'Matched with a mentor; first session went well.'],
  trusted_adult_identified: ['The child named a youth worker as a trusted adult.', 'The child named a worker here as someone they trust.'],
  'trusted_adult_identified@school': ['The child named a teacher as someone they trust.'],
  positive_activity: ['Started {service}.', 'Taking part in {service}; attending every week.'],
  online_harm_reported: ['Concern about violent content the child is sharing online.', 'Child received threatening messages online.'],
  online_threats_or_taunts: ['Online video taunting a rival group; the child appears in it.', 'Threats made against the child in a social media post.'],
  online_sexual_harm: ['Images of the child shared without consent.', 'Adult contacted the child online asking for images.'],
  online_bullying: ['Bullied in a class group chat; parents informed.'],
};

const NARRATIVES: Readonly<Record<string, readonly string[]>> = {
  default: [
    'Information shared with the allocated worker the same day.',
    'Mother was spoken to and agreed to the next steps.',
    'The child was quiet and gave a brief account.',
    'Previous concerns were checked; this is not the first entry of this kind.',
    'Advice given to the family about support available locally.',
    'Follow-up visit arranged for next week.',
  ],
  police_justice: [
    'Officers noted the child appeared older than their age and was not dressed for the weather.',
    'The child would not say who they had been with.',
    'Intelligence submitted; links to other young people in the area noted.',
    'Appropriate adult present throughout.',
  ],
  community: [
    'Several of the same young people have been seen together on recent evenings.',
    'The child said they feel safer in a group.',
    'Youth workers will continue to offer sessions in the area.',
  ],
  social_care: [
    'The child\'s views were recorded and shared with the family.',
    'School was not present; the outcome was shared by email.',
    'Actions agreed for each agency with a review date.',
  ],
};

const CORRECTIONS = [
  'Date of incident entered incorrectly; corrected from the original report.',
  'Summary amended after the agency confirmed the details.',
  'Recorded against the wrong incident number; reference corrected.',
  'Length of suspension corrected after the school checked its records.',
];

/** How a referral names the agency that made it. */
const REFERRER: Readonly<Record<string, string>> = {
  police: 'the police', school: 'the school', gp: 'the GP', acute_hospital: 'the hospital', community_health: 'the school nurse',
  early_help: 'early help', childrens_social_care: "children's social care", housing: 'housing', camhs: 'CAMHS',
};

/** Whether a summary is written for an event type code. */
export function hasSummary(code: string): boolean {
  return (T[code]?.length ?? 0) > 0;
}

/** A summary for an event type as a kind of agency would write it, with placeholders filled from vars or the pools. */
export function summarise(code: string, rng: Rng, vars: SummaryVars = {}, agencyKind?: string): string {
  const templates = T[`${code}@${agencyKind}`] ?? T[code];
  if (!templates) throw new Error(`No synthetic summary for event type "${code}"`);
  const filled: SummaryVars = { referrer: agencyKind ? REFERRER[agencyKind] : undefined, ...vars };
  const text = rng.pick(templates).replace(/\{(\w+)\}/g, (_, key: string) => String(filled[key as keyof SummaryVars] ?? rng.pick(POOLS[key] ?? ['unknown'])));
  // Templates may start with a placeholder ("{weapon} found..."), so capitalise after filling.
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A two-sentence narrative for an entry in a category. */
export function narrate(category: string, rng: Rng): string {
  const pool = [...(NARRATIVES[category] ?? []), ...NARRATIVES.default!];
  const first = rng.pick(pool);
  let second = rng.pick(pool);
  if (second === first) second = NARRATIVES.default![0]!;
  return `${first} ${second}`;
}

/** A reason for a correction. */
export function correctionReason(rng: Rng): string {
  return rng.pick(CORRECTIONS);
}
