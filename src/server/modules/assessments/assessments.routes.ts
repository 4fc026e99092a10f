import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isRiskLevel, RISK_LEVEL_LABELS, RISK_LEVELS } from '../../../domain/factors/risk-levels.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { refuseRecord } from '../../access.js';
import { AppError, ValidationError } from '../../errors.js';
import { parseDateParts } from '../../forms.js';
import { routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { checkContent } from './assessment-checks.js';
import { ASSESSOR_ROLES, decideAssessment, guardAssessment } from './assessments.policy.js';
import { getAssessment, type AssessmentContent } from './assessments.queries.js';
import { saveAssessment } from './commands/save-assessment.js';
import { signOffAssessment } from './commands/sign-off-assessment.js';
import { startAssessment } from './commands/start-assessment.js';

const text = z.string().max(25_000).default('');
const formBody = z.object({
  _csrf: z.string().max(200).optional(),
  riskHome: text, riskPeers: text, riskSchool: text, riskCommunity: text, riskOnline: text, riskToOthers: text,
  strengths: text, childViews: text, familyViews: text, analysis: text,
  level: z.string().max(20).default(''), levelRationale: text, loweringReason: text,
  'review-day': z.string().max(10).default(''), 'review-month': z.string().max(10).default(''), 'review-year': z.string().max(10).default(''),
  action: z.enum(['save', 'submit']).default('save'),
});
type FormValues = z.infer<typeof formBody>;
const idParams = z.object({ assessmentId: z.string().max(64) });

/** The risk contexts, in the order the form and the page show them. */
export const RISK_CONTEXTS = [
  { field: 'riskHome', label: 'Home and family' },
  { field: 'riskPeers', label: 'Peers and friendships' },
  { field: 'riskSchool', label: 'School or education' },
  { field: 'riskCommunity', label: 'Community and places' },
  { field: 'riskOnline', label: 'Online' },
] as const;

const FIELD_HREF: Record<string, string> = { reviewOn: '#review-day', level: '#level' };
const today = () => new Date().toISOString().slice(0, 10);
const blank = (s: string) => (s.trim() ? s.trim() : null);

function toContentFromForm(v: FormValues): { content: AssessmentContent; errors: { field: string; href: string; text: string }[] } {
  const errors: { field: string; href: string; text: string }[] = [];
  const anyDate = v['review-day'] || v['review-month'] || v['review-year'];
  const date = anyDate ? parseDateParts(v['review-day'], v['review-month'], v['review-year'], { requireDay: true }) : null;
  if (date && !date.ok) errors.push({ field: 'reviewOn', href: `#review-${date.field}`, text: `The review date ${date.error}` });
  if (v.level && !isRiskLevel(v.level)) errors.push({ field: 'level', href: '#level', text: 'Select low, medium, high or very high' });
  return {
    content: {
      riskHome: blank(v.riskHome), riskPeers: blank(v.riskPeers), riskSchool: blank(v.riskSchool), riskCommunity: blank(v.riskCommunity),
      riskOnline: blank(v.riskOnline), riskToOthers: blank(v.riskToOthers), strengths: blank(v.strengths), childViews: blank(v.childViews),
      familyViews: blank(v.familyViews), analysis: blank(v.analysis), level: isRiskLevel(v.level) ? v.level : null,
      levelRationale: blank(v.levelRationale), loweringReason: blank(v.loweringReason), reviewOn: date?.ok ? date.date : null,
    },
    errors,
  };
}

function toFormValues(c: AssessmentContent): Partial<FormValues> {
  const [y, m, d] = c.reviewOn ? c.reviewOn.split('-') : ['', '', ''];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) if (k !== 'reviewOn') out[k] = (v as string | null) ?? '';
  return { ...out, 'review-day': d ? String(Number(d)) : '', 'review-month': m ? String(Number(m)) : '', 'review-year': y ?? '' } as Partial<FormValues>;
}

/** Risk and vulnerability assessments: start, edit, submit, sign off, and read every version. */
export async function assessmentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = (request: FastifyRequest) => ({ route: routeOf(request), requestId: request.id });

  async function renderForm(request: FastifyRequest, reply: FastifyReply, actor: Actor, assessmentId: string, values: Partial<FormValues>, errors: { field: string; href: string; text: string }[], status = 200) {
    const a = await getAssessment(ctx.db, assessmentId);
    if (!a) return refuseRecord(ctx, request, { detail: { assessmentId } });
    const names = await displayNames(ctx.db, [a.personId]);
    reply.status(status);
    return reply.view('assessments/views/edit.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      assessment: a, personName: names.get(a.personId), values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
      contexts: RISK_CONTEXTS, levels: RISK_LEVELS.map((l) => ({ value: l, text: RISK_LEVEL_LABELS[l] })), levelLabels: RISK_LEVEL_LABELS,
    });
  }

  r.post('/people/:personId/assessments', {
    schema: { params: z.object({ personId: z.string().max(64) }), body: z.object({ _csrf: z.string().max(200).optional() }) },
    config: { access: { kind: 'person', action: 'assessment.create', roles: ASSESSOR_ROLES } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const started = await startAssessment(ctx.db, actor, request.params.personId, meta(request));
    return reply.redirect(`/assessments/${started.id}/edit`, 303);
  });

  r.get('/assessments/:assessmentId', {
    schema: { params: idParams, querystring: z.object({ version: z.coerce.number().int().min(1).optional(), saved: z.string().max(20).optional() }) },
    config: { access: { kind: 'record', action: 'assessment.read' } },
  }, async (request, reply) => {
    const { actor, assessment: header } = await guardAssessment(ctx, request, 'assessment.read', request.params.assessmentId);
    const a = await getAssessment(ctx.db, header.id);
    const shown = request.query.version ? a?.versions.find((v) => v.version === request.query.version) : a?.versions[0];
    if (!a || !shown) return refuseRecord(ctx, request, { personId: header.personId, detail: { assessmentId: header.id, version: request.query.version ?? null } });
    await recordAccess(ctx.db, { actor, action: 'assessment.read', personId: a.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { assessmentId: a.id, version: shown.version } });
    const names = await displayNames(ctx.db, [a.personId]);
    return reply.view('assessments/views/assessment.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      assessment: a, shown, personName: names.get(a.personId), contexts: RISK_CONTEXTS, levelLabels: RISK_LEVEL_LABELS, saved: request.query.saved ?? null,
      canEdit: decideAssessment(actor, 'assessment.update', header, true),
      canSignOff: decideAssessment(actor, 'assessment.sign_off', header, true),
      errors: [],
    });
  });

  r.get('/assessments/:assessmentId/edit', { schema: { params: idParams }, config: { access: { kind: 'record', action: 'assessment.update' } } }, async (request, reply) => {
    const { actor, assessment } = await guardAssessment(ctx, request, 'assessment.update', request.params.assessmentId);
    const a = await getAssessment(ctx.db, assessment.id);
    // The form shows the draft's content: a read of the child's assessment.
    await recordAccess(ctx.db, { actor, action: 'assessment.read', personId: assessment.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { assessmentId: assessment.id, view: 'edit' } });
    return renderForm(request, reply, actor, assessment.id, toFormValues(a!.versions[0]!), []);
  });

  r.post('/assessments/:assessmentId', { schema: { params: idParams, body: formBody }, config: { access: { kind: 'record', action: 'assessment.update' } } }, async (request, reply) => {
    const submit = request.body.action === 'submit';
    const { actor, assessment } = await guardAssessment(ctx, request, submit ? 'assessment.submit' : 'assessment.update', request.params.assessmentId);
    const { content, errors } = toContentFromForm(request.body);
    const a = await getAssessment(ctx.db, assessment.id);
    for (const p of checkContent(content, a!.previousLevel, { complete: submit, today: today() })) {
      if (!errors.some((e) => e.field === p.field)) errors.push({ field: p.field, href: FIELD_HREF[p.field] ?? `#${p.field}`, text: p.message });
    }
    if (errors.length) return renderForm(request, reply, actor, assessment.id, request.body, errors, 400);
    try {
      await saveAssessment(ctx.db, actor, assessment.id, content, { submit, today: today() }, meta(request));
    } catch (err) {
      if (err instanceof AppError && err.details) {
        return renderForm(request, reply, actor, assessment.id, request.body, err.details.map((d) => ({ field: d.field, href: FIELD_HREF[d.field] ?? `#${d.field}`, text: d.message })), 400);
      }
      throw err;
    }
    return reply.redirect(`/assessments/${assessment.id}?saved=${submit ? 'submitted' : 'saved'}`, 303);
  });

  r.post('/assessments/:assessmentId/sign-off', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().max(200).optional(), decision: z.string().max(20).default(''), returnNote: z.string().max(5000).default('') }) },
    config: { access: { kind: 'record', action: 'assessment.sign_off' } },
  }, async (request, reply) => {
    const { actor, assessment } = await guardAssessment(ctx, request, 'assessment.sign_off', request.params.assessmentId);
    const approve = request.body.decision === 'approve';
    try {
      if (!approve && request.body.decision !== 'return') throw new ValidationError([{ field: 'decision', message: 'Select whether to sign off the assessment or return it' }]);
      await signOffAssessment(ctx.db, actor, assessment.id, approve ? { approve: true } : { approve: false, note: request.body.returnNote }, meta(request));
    } catch (err) {
      if (err instanceof AppError && err.details) {
        const a = await getAssessment(ctx.db, assessment.id);
        const names = await displayNames(ctx.db, [assessment.personId]);
        reply.status(400);
        return reply.view('assessments/views/assessment.njk', {
          user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', assessment: a, shown: a!.versions[0],
          personName: names.get(assessment.personId), contexts: RISK_CONTEXTS, levelLabels: RISK_LEVEL_LABELS, saved: null,
          canEdit: false, canSignOff: true, returnNote: request.body.returnNote,
          errors: err.details.map((d) => ({ href: d.field === 'returnNote' ? '#returnNote' : '#decision', text: d.message })),
        });
      }
      throw err;
    }
    return reply.redirect(`/assessments/${assessment.id}?saved=${approve ? 'signed_off' : 'returned'}`, 303);
  });
}
