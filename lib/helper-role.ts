/**
 * What the helper's role is made of: EC2 may assume it. The component's helper gets
 * iam/helper-policy.json inline (lib/helper-policy.ts); the rehearsal's instances use AWS's policy.
 */

/** AWS's managed policy for SSM on an instance (rehearsal and tests; it grants ssm:GetParameter on `*`). */
export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/** The trust policy of an instance role: EC2 may assume it. */
export const EC2_TRUST_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
});
