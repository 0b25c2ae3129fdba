/** What a Windows reset tells the operator: where the new password comes from, and how to read it. */

export interface PasswordFacts {
    instanceId: string;
    /** The state the target was left in. */
    targetState: string;
    /** The target's key pair ("" when it was launched without one). */
    targetKeyName: string;
    passwordEnabledImageId: string;
    replacement?: { instanceId: string; keyName: string };
}

export function passwordInstructions(f: PasswordFacts): string {
    const when =
        f.targetState === "running"
            ? "at the boot that just followed the reset (allow a few minutes)"
            : "when you next start it";
    const lines = f.targetKeyName
        ? [
              `Password lost: ${f.instanceId} generates a new Administrator password ${when}, encrypted for its key pair ${f.targetKeyName}. ` +
                  `Read it with that key pair's private key: aws ec2 get-password-data --instance-id ${f.instanceId} --priv-launch-key ${f.targetKeyName}.pem ` +
                  "(or the console: Connect, RDP client, Get password).",
          ]
        : [
              `${f.instanceId} has no key pair, so the password it generates ${when} cannot be decrypted: use the password-enabled AMI below.`,
          ];
    if (f.replacement) {
        lines.push(
            `Key pair lost: ${f.replacement.instanceId} was launched from the password-enabled AMI ${f.passwordEnabledImageId} with your key pair ${f.replacement.keyName}; ` +
                `read its password with aws ec2 get-password-data --instance-id ${f.replacement.instanceId} --priv-launch-key ${f.replacement.keyName}.pem. ` +
                `pulumi destroy leaves it running; once you have moved to it, stop or terminate ${f.instanceId} yourself.`,
        );
    } else {
        lines.push(
            `Key pair lost: launch an instance from the password-enabled AMI ${f.passwordEnabledImageId} with a key pair you own ` +
                `(aws ec2 run-instances --image-id ${f.passwordEnabledImageId} --key-name YOUR_KEY …, or newKeyName in the next reset), ` +
                "then read its password with aws ec2 get-password-data and that key pair's private key.",
        );
    }
    lines.push(
        `The password-enabled AMI ${f.passwordEnabledImageId} is a standing credential: anyone who may launch it gets the Administrator account. ` +
            "pulumi destroy keeps it (as AWS's runbook does) unless retainPasswordEnabledImage is false; deregister it once you are back in.",
    );
    return lines.join("\n");
}
