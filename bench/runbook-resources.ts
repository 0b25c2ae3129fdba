/**
 * The runbook's temporary resources, made and removed with the SDK as its CloudFormation stack
 * makes them: a VPC with one public subnet in the target's AZ (internet gateway, route table,
 * default route), a security group with no inbound rule, the helper's role and instance profile
 * with AmazonSSMManagedInstanceCore, the command document, and the helper instance.
 * The same shape as ResetAccess's (awsx's VPC, its security group, role, profile, document).
 */
import {
    AttachInternetGatewayCommand,
    AuthorizeSecurityGroupEgressCommand,
    CreateInternetGatewayCommand,
    CreateSecurityGroupCommand,
    CreateVpcCommand,
    DeleteInternetGatewayCommand,
    DeleteRouteTableCommand,
    DeleteSecurityGroupCommand,
    DeleteSubnetCommand,
    DeleteVpcCommand,
    DetachInternetGatewayCommand,
    DisassociateRouteTableCommand,
    EC2Client,
    RevokeSecurityGroupEgressCommand,
    RunInstancesCommand,
    TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
    CreateDocumentCommand,
    DeleteDocumentCommand,
    GetParameterCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { createPublicSubnet } from "../harness/emulated-vpc";
import { LINUX_HELPER_PARAMETER } from "../lib/helper-image";
import { instanceState } from "../lib/ec2-instance";
import { resetDocumentContent } from "../lib/linux-document";
import { waitFor } from "../lib/waits";

const TERMINATE_SECONDS = 1200;

export interface Network {
    vpcId: string;
    internetGatewayId: string;
    subnetId: string;
    routeTableId: string;
    associationId: string;
    securityGroupId: string;
}

export async function createNetwork(
    ec2: EC2Client,
    availabilityZone: string,
    name: string,
): Promise<Network> {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.213.0.0/24" }))).Vpc!
        .VpcId!;
    const internetGatewayId = (await ec2.send(new CreateInternetGatewayCommand({})))
        .InternetGateway!.InternetGatewayId!;
    await ec2.send(
        new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }),
    );
    const { subnetId, routeTableId, associationId } = await createPublicSubnet(ec2, {
        vpcId,
        igwId: internetGatewayId,
        az: availabilityZone,
        cidr: "10.213.0.0/26",
        name,
        tags: {},
    });
    const securityGroupId = (
        await ec2.send(
            new CreateSecurityGroupCommand({
                GroupName: name,
                Description: "runbook helper: no inbound; outbound HTTPS",
                VpcId: vpcId,
            }),
        )
    ).GroupId!;
    await ec2.send(
        new RevokeSecurityGroupEgressCommand({
            GroupId: securityGroupId,
            IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        }),
    );
    await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
            GroupId: securityGroupId,
            IpPermissions: [
                {
                    IpProtocol: "tcp",
                    FromPort: 443,
                    ToPort: 443,
                    IpRanges: [{ CidrIp: "0.0.0.0/0" }],
                },
            ],
        }),
    );
    return { vpcId, internetGatewayId, subnetId, routeTableId, associationId, securityGroupId };
}

export async function deleteNetwork(ec2: EC2Client, n: Network): Promise<void> {
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: n.securityGroupId }));
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: n.associationId }));
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: n.routeTableId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: n.subnetId }));
    await ec2.send(
        new DetachInternetGatewayCommand({
            InternetGatewayId: n.internetGatewayId,
            VpcId: n.vpcId,
        }),
    );
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: n.internetGatewayId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: n.vpcId }));
}

/** The same document ResetAccess creates (the reset program, scripts/linux/reset_ssh_key, inside). */
export async function createResetDocument(ssm: SSMClient, name: string): Promise<string> {
    await ssm.send(
        new CreateDocumentCommand({
            Name: name,
            Content: resetDocumentContent(),
            DocumentType: "Command",
            DocumentFormat: "JSON",
        }),
    );
    return name;
}

export async function deleteResetDocument(ssm: SSMClient, name: string): Promise<void> {
    await ssm.send(new DeleteDocumentCommand({ Name: name }));
}

/** Launches the helper (Amazon Linux 2023, public IP, the profile) and returns its id. */
export async function launchHelper(
    ec2: EC2Client,
    ssm: SSMClient,
    network: Network,
    profileName: string,
): Promise<string> {
    const ami = (await ssm.send(new GetParameterCommand({ Name: LINUX_HELPER_PARAMETER })))
        .Parameter!.Value!;
    const out = await ec2.send(
        new RunInstancesCommand({
            ImageId: ami,
            InstanceType: "t3.small",
            MinCount: 1,
            MaxCount: 1,
            IamInstanceProfile: { Name: profileName },
            MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled" },
            NetworkInterfaces: [
                {
                    DeviceIndex: 0,
                    SubnetId: network.subnetId,
                    Groups: [network.securityGroupId],
                    AssociatePublicIpAddress: true,
                },
            ],
        }),
    );
    return out.Instances![0].InstanceId!;
}

/** Terminates the helper and waits until it is gone (its interface holds the security group). */
export async function terminateHelper(ec2: EC2Client, instanceId: string): Promise<void> {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await waitFor(
        { what: `${instanceId} to be terminated`, deadlineSeconds: TERMINATE_SECONDS },
        async () => ((await instanceState(ec2, instanceId)) === "terminated" ? true : undefined),
    );
}
