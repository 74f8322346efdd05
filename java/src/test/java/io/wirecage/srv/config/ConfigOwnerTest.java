package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An atomic rewrite by root keeps the file's owner: a config owned by the service user (systemd
 * unit, User=wirecagesrv) stays readable by it after `peer add` as root. Needs root to chown.
 */
class ConfigOwnerTest {
    @TempDir
    Path dir;

    @Test
    void rewriteByRootKeepsOwnerGroupAndMode() throws Exception {
        assertThat(System.getProperty("user.name")).as("this test chowns files: run as root (bin/test does)").isEqualTo("root");
        Path f = dir.resolve("wirecagesrv.toml");
        Files.writeString(f, "old\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        UserPrincipalLookupService users = f.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal nobody = users.lookupPrincipalByName("nobody");
        GroupPrincipal nogroup = users.lookupPrincipalByGroupName("nogroup");
        PosixFileAttributeView view = Files.getFileAttributeView(f, PosixFileAttributeView.class);
        view.setOwner(nobody);
        view.setGroup(nogroup);

        ConfigEditor.writeAtomically(f, "new\n");

        assertThat(Files.readString(f)).isEqualTo("new\n");
        assertThat(Files.getOwner(f)).isEqualTo(nobody);
        assertThat(Files.readAttributes(f, java.nio.file.attribute.PosixFileAttributes.class).group()).isEqualTo(nogroup);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    }
}
