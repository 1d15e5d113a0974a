/* fuzz_sshsig.c: libFuzzer target for the SSHSIG armor and blob parser and the in-process verifier. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The event the seeds signed, and who may sign it (keys of the seeds). */
static const char event[] = "{\"appctl_event\":1,\"type\":\"approve\"}";
static const char signers[] =
	"# fuzz signers\n"
	"seed@example.com namespaces=\"appctl\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPdiC65/K7XXrRsnXgNfRmszfU1B9jd0NifEc29K8+2B\n"
	"ec@example.com,*@example.org valid-after=\"20200101Z\" ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKP2Dh31D5KPWgk/hYnCBOANpWm9Lcx/R5vw1peZlU7Js6KjCr7uqK9kAsbU14oLDRDIFL3xBi+V3VP7rzXCysM=\n"
	"rsa@example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDEUamoxYUGauLJXB9U4g6FkLuRIW/SB+UjqGj6vdFKGYsQsoh0QGXmP0mjETXqJVRVbwnN7Ar3CUuU0Tr4O4/ZKSVgz7kXcGImvXFrsZoV4+5wYYtyl8DGHgmhewHxJg7Rsdl1ZWP+tPbKae3gv3OmkzHvvrPEfRg5c06EQwZ2FQ==\n"
	"cert@example.com,*@example.net cert-authority,valid-before=\"29990101Z\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJT6CiqDHb+HuSSkiejPbg8JZkVWGJ1LnqsQ/HzjyulX\n";

/*
 * A signature arrives with every event from other machines: every byte is
 * hostile. It is parsed as given (certificates included), checked against
 * the seeds' event, and judged against the seeds' allowed_signers,
 * in-process only (what would go to ssh-keygen is left undecided: nothing
 * here runs it).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_sshsig s;
	const char *why = NULL;
	char *text, *principal = NULL, *reason = NULL;
	int decided = 0;

	if (appctl_sshsig_parse(&s, (const char *)data, size, &why) == 0) {
		if (s.kind != APPCTL_SSHKEY_OTHER)
			(void)appctl_sshsig_check(&s, "appctl", event, strlen(event), &why);
		if (s.is_cert && s.cert.ca_kind != APPCTL_SSHKEY_OTHER)
			(void)appctl_sshsig_check_cert(&s, &why);
		appctl_sshsig_dispose(&s);
	}
	/* appctl_ssh_verify reads the signature as a C string. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	appctl_error_free(appctl_sshsig_verify(&decided, &principal, &reason,
		signers, event, strlen(event), text, 1767225600));
	free(principal);
	free(reason);
	free(text);
	return 0;
}
