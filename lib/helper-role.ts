/** What the helper's role is made of: EC2 may assume it, and AWS's policy makes it an SSM managed node. */

/** AWS's managed policy for SSM Run Command on an instance (the helper's only permission). */
export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/** The trust policy of an instance role: EC2 may assume it. */
export const EC2_TRUST_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
