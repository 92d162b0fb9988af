# encoding: utf-8
# SSH daemon settings (skipped where no sshd is installed).

max_tries = input('max_login_tries', value: 5)

control 'ssh-01' do
  impact 0.8
  title 'SSH root login is disabled'
  only_if('sshd is installed') { file('/etc/ssh/sshd_config').exist? }
  describe sshd_config do
    its('PermitRootLogin') { should cmp 'no' }
    its('MaxAuthTries') { should cmp <= max_tries }
  end
end
