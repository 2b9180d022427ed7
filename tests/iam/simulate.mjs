// Evaluates IAM requests with @cloud-copilot/iam-simulate (strict mode: the request context as given).
// stdin:  {"account": "...", "policies": {"<function>": [<policy document>, ...]},
//          "requests": [{"function", "principal", "action", "resource", "context"}]}
// stdout: one JSON array, per request {"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//         "errors"?: ...}, in the order given.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const decisions = []
for (const request of input.requests) {
  const policies = (input.policies[request.function] || []).map((policy, index) => ({
    name: `${request.function}-${index}`,
    policy,
  }))
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: input.account },
        contextVariables: request.context,
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  )
  decisions.push(
    result.resultType === 'error'
      ? { decision: 'Error', errors: result.errors }
      : { decision: result.overallResult },
  )
}
process.stdout.write(JSON.stringify(decisions))
