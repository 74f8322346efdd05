package io.wirecage.srv.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DefaultRouteTest {
    private static final String ZERO = "00000000000000000000000000000000";

    @Test
    void ipv6DefaultRouteIsTheUsableOneWithTheLowestMetric() {
        List<String> table = List.of(
                "fd000000000000000000000000000000 40 " + ZERO + " 00 " + ZERO + " 00000100 00000001 00000000 00000001     eth0",
                ZERO + " 00 " + ZERO + " 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0",
                ZERO + " 00 " + ZERO + " 00 fe800000000000000000000000000001 00000100 00000003 00000000 00000003     wlan0",
                // the kernel's "unreachable" default on lo (RTF_REJECT) is not a way out
                ZERO + " 00 " + ZERO + " 00 " + ZERO + " 00000001 00000001 00000000 00200201       lo",
                ZERO + " 00 " + ZERO + " 00 " + ZERO + " 00000001 00000001 00000000 00000200     eth9");
        assertThat(DefaultRoute.fromIpv6RouteTable(table)).contains("wlan0");
        assertThat(DefaultRoute.fromIpv6RouteTable(table.subList(0, 2))).contains("eth0");
        assertThat(DefaultRoute.fromIpv6RouteTable(List.of(table.get(0), table.get(3), table.get(4)))).isEmpty();
        assertThat(DefaultRoute.fromIpv6RouteTable(List.of())).isEmpty();
    }
}
