// Package delivery holds what the continuous-delivery roles may do, as data and as the IAM
// policy documents generated from it:
//
//   - Resources and Invokes: for each Pulumi resource type and data source the program uses,
//     the IAM actions the AWS provider's create, read, update and delete (or the invoke) make;
//   - the deploy role's policy (DeployPolicy): exactly those actions, each scoped to the
//     resources the Service Authorization Reference lets it be scoped to, plus the state
//     backend's actions; IAM limited to the program's own role names, with a permissions
//     boundary required on every role it creates or changes, and nothing on the delivery roles
//     themselves;
//   - the preview role's policy (PreviewPolicy): what `pulumi preview` against the S3 backend
//     reads, each action with its reason;
//   - the permissions boundary of the program's own roles (BoundaryPolicy).
//
// The set-up program (delivery/setup) creates the roles with these documents; the tests check
// them against every stack file's graph.
package delivery
