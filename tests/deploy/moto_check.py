#!/usr/bin/python3
"""Asserts what the fake EC2 (moto) holds for one deployment, for tests/deploy/run.sh.

    moto_check.py ENDPOINT NAME provisioned IMAGE_ID SSH_CIDR PORT PUB_PORT
    moto_check.py ENDPOINT NAME empty

"provisioned": exactly one live instance, tagged, from IMAGE_ID, t3.micro, its one volume
(8 GiB, gp3, encrypted) mapped at the image's root device, with the key pair and a
security group allowing SSH from SSH_CIDR only and the two broker ports.
"empty": no live instance, security group or key pair of the deployment is left.
Prints one line per finding; exits 1 if any is wrong.
"""
import sys

import boto3

LIVE = ["pending", "running", "stopping", "stopped"]


def root_volume_problems(ec2, image_id: str, instance: dict) -> list:
    """The instance's one volume is the image's root device: a volume mapped under another
    name would be a second disk, and the root would keep the image's size and settings."""
    root = ec2.describe_images(ImageIds=[image_id])["Images"][0]["RootDeviceName"]
    mappings = instance.get("BlockDeviceMappings", [])
    devices = [m["DeviceName"] for m in mappings]
    if devices != [root]:
        return [f"instance volumes are at {devices}, expected one at the image's root device {root}"]
    volume = ec2.describe_volumes(VolumeIds=[mappings[0]["Ebs"]["VolumeId"]])["Volumes"][0]
    got = (volume["Size"], volume.get("VolumeType"), volume.get("Encrypted"))
    return [] if got == (8, "gp3", True) else [f"root volume is (size, type, encrypted) {got}, expected (8, 'gp3', True)"]


def main() -> int:
    endpoint, name, what, *rest = sys.argv[1:]
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    tag = [{"Name": "tag:charla-deployment", "Values": [name]}]
    instances = [i for r in ec2.describe_instances(
        Filters=tag + [{"Name": "instance-state-name", "Values": LIVE}])["Reservations"] for i in r["Instances"]]
    groups = ec2.describe_security_groups(Filters=tag)["SecurityGroups"]
    keys = [k for k in ec2.describe_key_pairs()["KeyPairs"] if k["KeyName"] == name]

    problems = []
    if what == "empty":
        for i in instances:
            problems.append(f"instance {i['InstanceId']} is still {i['State']['Name']}")
        for g in groups:
            problems.append(f"security group {g['GroupId']} is still there")
        for k in keys:
            problems.append(f"key pair {k['KeyName']} is still there")
    elif what == "provisioned":
        image, ssh_cidr, port, pub_port = rest
        if len(instances) != 1:
            problems.append(f"{len(instances)} live instances, expected 1")
        for i in instances:
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            expect = {"ImageId": image, "InstanceType": "t3.micro", "KeyName": name}
            for field, value in expect.items():
                if i.get(field) != value:
                    problems.append(f"instance {field} is {i.get(field)}, expected {value}")
            if tags.get("Name") != name or tags.get("Project") != "charla":
                problems.append(f"instance tags are {tags}")
            if i.get("MetadataOptions", {}).get("HttpTokens") != "required":
                problems.append("instance metadata does not require IMDSv2 tokens")
            problems += root_volume_problems(ec2, image, i)
        if len(groups) != 1:
            problems.append(f"{len(groups)} security groups, expected 1")
        for g in groups:
            rules = {(p.get("FromPort"), p.get("ToPort"), r["CidrIp"])
                     for p in g["IpPermissions"] for r in p.get("IpRanges", [])}
            expected = {(22, 22, ssh_cidr), (int(port), int(port), "0.0.0.0/0"),
                        (int(pub_port), int(pub_port), "0.0.0.0/0")}
            if rules != expected:
                problems.append(f"security group rules are {sorted(rules)}, expected {sorted(expected)}")
        if len(keys) != 1:
            problems.append(f"{len(keys)} key pairs named {name}, expected 1")
    else:
        problems.append(f"unknown check {what}")

    for p in problems:
        print(f"moto_check: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
