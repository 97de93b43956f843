import Foundation
import Testing
@testable import SweepWorker

/// `--concurrency auto` in a container: one slot per core of the cgroup CPU quota.
struct CPUQuotaTests {
    @Test func cgroupV2CPUMax() {
        #expect(CPUQuota.limit(cpuMax: "max 100000\n") == nil)
        #expect(CPUQuota.limit(cpuMax: "200000 100000\n") == 2)
        #expect(CPUQuota.limit(cpuMax: "150000 100000") == 1.5)
        #expect(CPUQuota.limit(cpuMax: "50000 100000") == 0.5)
        #expect(CPUQuota.limit(cpuMax: "") == nil)
        #expect(CPUQuota.limit(cpuMax: "garbage") == nil)
    }

    @Test func cgroupV1CFSQuota() {
        #expect(CPUQuota.limit(cfsQuota: "-1\n", cfsPeriod: "100000\n") == nil)
        #expect(CPUQuota.limit(cfsQuota: "400000\n", cfsPeriod: "100000\n") == 4)
        #expect(CPUQuota.limit(cfsQuota: "25000", cfsPeriod: "50000") == 0.5)
        #expect(CPUQuota.limit(cfsQuota: "100000", cfsPeriod: "0") == nil)
    }

    /// Rounded up, at least one slot, never more than the cores the process sees.
    @Test func slotsFromALimit() {
        #expect(CPUQuota.slots(limit: nil, onlineCores: 8) == 8)
        #expect(CPUQuota.slots(limit: 2, onlineCores: 8) == 2)
        #expect(CPUQuota.slots(limit: 1.5, onlineCores: 8) == 2)
        #expect(CPUQuota.slots(limit: 0.25, onlineCores: 8) == 1)
        #expect(CPUQuota.slots(limit: 16, onlineCores: 4) == 4)
        #expect(CPUQuota.slots(limit: nil, onlineCores: 0) == 1)
    }

    /// Files of a fake /sys/fs/cgroup.
    static func reader(_ files: [String: String]) -> (String) -> String? { { files[$0] } }

    @Test func aContainerOnCgroupV2() {
        // inside a container's cgroup namespace its own cgroup is the root
        let files = ["/sys/fs/cgroup/cpu.max": "300000 100000\n"]
        #expect(CPUQuota.limit(procSelfCgroup: "0::/\n", read: Self.reader(files)) == 3)
        #expect(CPUQuota.limit(procSelfCgroup: "0::/\n", read: Self.reader([:])) == nil)
    }

    @Test func theTightestAncestorBindsOnCgroupV2() {
        let files = ["/sys/fs/cgroup/kubepods/cpu.max": "max 100000",
                     "/sys/fs/cgroup/kubepods/pod1/cpu.max": "150000 100000",
                     "/sys/fs/cgroup/kubepods/pod1/c1/cpu.max": "max 100000",
                     "/sys/fs/cgroup/cpu.max": "800000 100000"]
        #expect(CPUQuota.limit(procSelfCgroup: "0::/kubepods/pod1/c1\n", read: Self.reader(files)) == 1.5)
    }

    @Test func cgroupV1() {
        let cgroup = "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"
        // the host's view: the container's directory under the controller's mount
        let host = ["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000",
                    "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
                    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1",
                    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000"]
        #expect(CPUQuota.limit(procSelfCgroup: cgroup, read: Self.reader(host)) == 2)
        // inside the container: its cgroup is mounted as the root, the path in /proc/self/cgroup does not exist
        let inside = ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"]
        #expect(CPUQuota.limit(procSelfCgroup: "3:cpu:/docker/abc\n", read: Self.reader(inside)) == 0.5)
        // no quota anywhere
        let none = ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"]
        #expect(CPUQuota.limit(procSelfCgroup: "3:cpu:/\n", read: Self.reader(none)) == nil)
    }

    /// On this machine: between one slot and the cores it has.
    @Test func thisMachine() {
        let n = CPUQuota.autoSlots()
        #expect(n >= 1 && n <= ProcessInfo.processInfo.activeProcessorCount)
    }
}
