# shellcheck shell=sh
# Run inside the kicbase stand-in's chroot by images.sh (sh -eu): what minikube's
# deploy/kicbase/Dockerfile does to a Debian tree for a containerd node (systemd units, sshd, the
# docker user minikube logs in as).
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
  /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
  /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> /etc/systemd/journald.conf
mkdir -p /etc/kubernetes/manifests /etc/cni/net.d /var/run/sshd /kind /etc/systemd/system/multi-user.target.wants
ln -fs /usr/lib/systemd/system/minikube-automount.service /etc/systemd/system/multi-user.target.wants/minikube-automount.service
ln -fs /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service
sed -i -E "s#^(hosts:[[:space:]]*).*#\1files dns#" /etc/nsswitch.conf
sed -ri "s/UsePAM yes/#UsePAM yes/g" /etc/ssh/sshd_config
# Minikube runs kubeadm through sudo env PATH=... over ssh; Debian sshd default PATH lacks sbin.
echo "SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" >> /etc/ssh/sshd_config
groupadd --system docker
useradd --create-home --gid docker --groups sudo --shell /bin/bash docker
# No password, yet not locked: sshd (without PAM) refuses locked accounts even with a key.
usermod -p "*" docker
mkdir -p /home/docker/.ssh && chown docker:docker /home/docker/.ssh
echo "%sudo ALL=(ALL) NOPASSWD:ALL" >> /etc/sudoers
rm -f /etc/ssh/ssh_host_*
rm -rf /usr/share/doc/* /usr/share/man/*
