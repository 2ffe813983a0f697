/**
 * The platforms an LTI 1.3 tool is registered with (`serve --lti-config lti.json`):
 *
 *   {"platforms": [{"issuer", "clientId", "deploymentIds": [...], "authLoginUrl", "accessTokenUrl", "jwksUrl"}]}
 *
 * A registration is (issuer, clientId): all of Canvas cloud shares one issuer, so one issuer may be
 * registered several times with different client ids, each with its own deployments. Optional per
 * platform: `assertionAudience` (the `aud` of the client assertion, where a platform wants another
 * value than its token URL, or an array) and `name`.
 */
import { z } from 'zod';
import { GradsheetError, jsonPath } from '../../errors.js';
import { issueSentence } from '../../validation.js';

const url = z.string().url({ message: 'should be an absolute URL (https://…)' }).refine((u) => /^https?:\/\//.test(u), { message: 'should be an http(s) URL' });

const platformSchema = z.object({
  name: z.string().min(1).optional(),
  issuer: z.string().min(1),
  clientId: z.string().min(1),
  deploymentIds: z.array(z.string().min(1)).min(1),
  authLoginUrl: url,
  accessTokenUrl: url,
  jwksUrl: url,
  assertionAudience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
}).strict();

export const ltiConfigSchema = z.object({ platforms: z.array(platformSchema).min(1) }).strict();

export type Registration = z.output<typeof platformSchema>;

/** The registrations, looked up as logins and launches name them. */
export class Registrations {
  readonly all: readonly Registration[];

  constructor(all: readonly Registration[]) {
    this.all = all;
  }

  /** Parses lti.json's content; a bad field is one sentence naming its JSON path and the file. */
  static parse(json: unknown, file: string): Registrations {
    const parsed = ltiConfigSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GradsheetError('invalid-input', `${file}: ${jsonPath(issue.path)} ${issueSentence(issue, json)}.`.replace(/\.\.$/, '.'));
    }
    const seen = new Set<string>();
    for (const [i, p] of parsed.data.platforms.entries()) {
      const key = `${p.issuer}\n${p.clientId}`;
      if (seen.has(key)) throw new GradsheetError('invalid-input', `${file}: platforms[${i}] registers issuer ${p.issuer} with client id ${p.clientId} a second time; list its deployments under one registration.`);
      seen.add(key);
    }
    return new Registrations(parsed.data.platforms);
  }

  /** The registration of (issuer, clientId), or the one registration of the issuer when the client id is not given. */
  find(issuer: string, clientId?: string, deploymentId?: string): Registration | { error: string } {
    const ofIssuer = this.all.filter((r) => r.issuer === issuer);
    if (ofIssuer.length === 0) return { error: `The platform ${issuer.slice(0, 120)} is not registered with this tool.` };
    if (clientId !== undefined) {
      const found = ofIssuer.find((r) => r.clientId === clientId);
      return found ?? { error: `The platform ${issuer.slice(0, 120)} has no registration with the client id ${clientId.slice(0, 80)}.` };
    }
    const byDeployment = deploymentId === undefined ? ofIssuer : ofIssuer.filter((r) => r.deploymentIds.includes(deploymentId));
    if (byDeployment.length === 1) return byDeployment[0]!;
    return { error: `The platform ${issuer.slice(0, 120)} is registered ${ofIssuer.length} times; the login should name its client_id${deploymentId === undefined ? ' or lti_deployment_id' : ''}.` };
  }
}
